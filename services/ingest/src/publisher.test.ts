import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { isIngestError } from './errors.ts'
import type { KafkaLink } from './kafka-link.ts'
import { createManualTime, type ManualTime } from './manual-timers.ts'
import { createPublisher, type Publisher, type PublisherEvent, type PublisherOptions } from './publisher.ts'
import { openSpool, type Spool } from './spool.ts'
import { frameSize, type SpoolRecord } from './spool-format.ts'

type Mode = 'up' | 'down' | 'hang'

/** A Kafka stand-in: takes batches while up, refuses while down, never answers while hanging. */
function fakeLink(initial: Mode = 'up') {
  let mode: Mode = initial
  const batches: string[][] = []
  const link: KafkaLink & { mode(m: Mode): void; batches: string[][] } = {
    batches,
    mode(m) {
      mode = m
    },
    async connect() {
      if (mode === 'down') throw new Error('connection refused')
    },
    async send(records: readonly SpoolRecord[]) {
      if (mode === 'down') throw new Error('connection refused')
      if (mode === 'hang') return new Promise<void>(() => {})
      batches.push(records.map((r) => r.value.toString()))
    },
    async reset() {},
    async close() {},
  }
  return link
}

const dirs: string[] = []
const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function spoolIn(dir?: string, maxBytes = 1024 * 1024): Promise<Spool> {
  const where = dir ?? (await mkdtemp(join(tmpdir(), 'ingest-pub-')))
  if (dir === undefined) dirs.push(where)
  return (await openSpool({ dir: where, maxBytes })).spool
}

const rec = (name: string): SpoolRecord => ({ topic: 't.events', key: '1', value: Buffer.from(name) })

interface Harness {
  publisher: Publisher
  time: ManualTime
  events: PublisherEvent[]
  next(type: PublisherEvent['type']): Promise<PublisherEvent>
}

function harness(link: KafkaLink, spool: Spool, overrides: Partial<PublisherOptions> = {}): Harness {
  const time = createManualTime()
  const events: PublisherEvent[] = []
  const waiters: Array<{ type: string; resolve: (e: PublisherEvent) => void }> = []
  const publisher = createPublisher({
    link,
    spool,
    clock: time.clock,
    timers: time.timers,
    lingerMs: 5,
    maxBatchRecords: 4,
    sendTimeoutMs: 1_000,
    retryMinMs: 100,
    retryMaxMs: 100,
    onEvent: (event) => {
      events.push(event)
      for (const w of waiters.filter((w) => w.type === event.type)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(event)
      }
    },
    ...overrides,
  })
  cleanups.push(() => publisher.close(0))
  return {
    publisher,
    time,
    events,
    next: (type) => new Promise((resolve) => waiters.push({ type, resolve })),
  }
}

async function up(h: Harness): Promise<void> {
  h.publisher.start()
  const ok = h.publisher.whenUp(10_000)
  expect(await ok).toBe(true)
}

describe('micro-batching', () => {
  test('records wait for the linger, then go as one batch, each resolving as acknowledged by Kafka', async () => {
    const link = fakeLink()
    const h = harness(link, await spoolIn())
    await up(h)
    const results = [
      h.publisher.publish(rec('a')),
      h.publisher.publish(rec('b')),
      h.publisher.publish(rec('c')),
    ]
    expect(link.batches).toEqual([])
    h.time.advance(5)
    expect(await Promise.all(results)).toEqual(['kafka', 'kafka', 'kafka'])
    expect(link.batches).toEqual([['a', 'b', 'c']])
  })

  test('a full batch goes at once, and records arriving meanwhile form the next batch', async () => {
    const link = fakeLink()
    const h = harness(link, await spoolIn())
    await up(h)
    const first = ['a', 'b', 'c', 'd'].map((n) => h.publisher.publish(rec(n)))
    const second = ['e', 'f'].map((n) => h.publisher.publish(rec(n)))
    await Promise.all(first)
    h.time.advance(5)
    await Promise.all(second)
    expect(link.batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f'],
    ])
  })
})

describe('spool fallback', () => {
  test('while Kafka is down records are acknowledged from the spool, and drained in order when it is back', async () => {
    const link = fakeLink()
    const spool = await spoolIn()
    const h = harness(link, spool, { lingerMs: 0 })
    await up(h)
    expect(await h.publisher.publish(rec('1'))).toBe('kafka')

    link.mode('down')
    expect(await h.publisher.publish(rec('2'))).toBe('spool')
    expect(await h.publisher.publish(rec('3'))).toBe('spool')
    expect(spool.depth().records).toBe(2)
    expect(h.publisher.status().kafkaUp).toBe(false)

    link.mode('up')
    const drained = h.next('drained')
    h.time.advance(100)
    await drained
    // A record published while the spool is not yet empty goes behind the spooled ones.
    await h.publisher.whenUp(10_000)
    expect(await h.publisher.publish(rec('4'))).toBe('kafka')
    expect(link.batches.flat()).toEqual(['1', '2', '3', '4'])
    expect(spool.depth().records).toBe(0)
  })

  test('nothing newer reaches Kafka while older records wait in the spool', async () => {
    const link = fakeLink('down')
    const spool = await spoolIn()
    const h = harness(link, spool, { lingerMs: 0 })
    h.publisher.start()
    expect(await h.publisher.publish(rec('old'))).toBe('spool')
    link.mode('up')
    // Kafka is reachable again, but the drain has not run yet (its timer has not fired).
    expect(await h.publisher.publish(rec('new'))).toBe('spool')
    const drained = h.next('kafka_up')
    h.time.advance(100)
    await drained
    expect(link.batches.flat()).toEqual(['old', 'new'])
  })

  test('a send that never answers times out and the batch is spooled', async () => {
    const link = fakeLink()
    const spool = await spoolIn()
    const h = harness(link, spool, { lingerMs: 0 })
    await up(h)
    link.mode('hang')
    const result = h.publisher.publish(rec('slow'))
    const failed = h.next('produce_failed')
    h.time.advance(1_000)
    await failed
    expect(await result).toBe('spool')
    expect(spool.depth().records).toBe(1)
  })

  test('when the spool is full the records that do not fit are refused with SPOOL_FULL', async () => {
    const link = fakeLink('down')
    const spool = await spoolIn(undefined, frameSize(rec('x')) * 2)
    const h = harness(link, spool, { lingerMs: 5 })
    h.publisher.start()
    const results = ['x', 'y', 'z'].map((n) => h.publisher.publish(rec(n)).catch((e: unknown) => e))
    h.time.advance(5)
    const [x, y, z] = await Promise.all(results)
    expect([x, y]).toEqual(['spool', 'spool'])
    expect(isIngestError(z, 'SPOOL_FULL')).toBe(true)
  })

  test('a restart with a non-empty spool drains it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-pub-'))
    dirs.push(dir)
    const first = await spoolIn(dir)
    await first.append([rec('left-1'), rec('left-2')])
    await first.close()

    const link = fakeLink()
    const h = harness(link, await spoolIn(dir), { lingerMs: 0 })
    await up(h)
    expect(link.batches.flat()).toEqual(['left-1', 'left-2'])
    expect(h.publisher.status().spool.records).toBe(0)
  })
})

describe('close', () => {
  test('flushes what is queued and refuses new records', async () => {
    const link = fakeLink()
    const h = harness(link, await spoolIn(), { lingerMs: 50 })
    await up(h)
    const pending = h.publisher.publish(rec('queued'))
    const closed = h.publisher.close(h.time.clock.now() + 1_000)
    expect(await pending).toBe('kafka')
    expect(await closed).toEqual({ spooled: 0 })
    const refused = await h.publisher.publish(rec('late')).catch((e: unknown) => e)
    expect(isIngestError(refused, 'CLOSED')).toBe(true)
  })

  test('with Kafka down, what is spooled stays on disk for the next start', async () => {
    const link = fakeLink('down')
    const spool = await spoolIn()
    const h = harness(link, spool, { lingerMs: 0 })
    h.publisher.start()
    expect(await h.publisher.publish(rec('kept'))).toBe('spool')
    expect(await h.publisher.close(h.time.clock.now())).toEqual({ spooled: 1 })
  })
})
