import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeDeadLetter } from '@mixguard/contracts'
import { createManualTime, type ManualTime } from '@mixguard/time'
import { afterEach, describe, expect, test } from 'vitest'
import { IngestError, isIngestError } from './errors.ts'
import type { KafkaLink } from './kafka-link.ts'
import { createPublisher, type Publisher, type PublisherEvent, type PublisherOptions } from './publisher.ts'
import { openSpool, type Spool } from './spool.ts'
import { decodeFrame, frameSize, type SpoolRecord } from './spool-format.ts'
import { QUARANTINE_FILE } from './spool-quarantine.ts'

type Mode = 'up' | 'down' | 'hang'

/**
 * A Kafka stand-in: takes batches while up, refuses while down, never answers while hanging. Like a
 * broker, it refuses a whole batch (RECORD_REJECTED, as the real link reports MESSAGE_TOO_LARGE) when
 * one of its records is larger than `maxRecordBytes` or its value holds `poison`.
 */
function fakeLink(
  initial: Mode = 'up',
  limits: { maxRecordBytes?: number; poison?: string; deadLettersToo?: boolean } = {},
) {
  let mode: Mode = initial
  const batches: string[][] = []
  const sent: SpoolRecord[] = []
  let attempts = 0
  const refuses = (r: SpoolRecord): boolean =>
    r.value.length > (limits.maxRecordBytes ?? Number.POSITIVE_INFINITY) ||
    (limits.poison !== undefined &&
      r.value.includes(limits.poison) &&
      (limits.deadLettersToo === true || r.topic !== 't.dead-letter'))
  const link: KafkaLink & {
    mode(m: Mode): void
    batches: string[][]
    sent: SpoolRecord[]
    attempts(): number
  } = {
    batches,
    sent,
    attempts: () => attempts,
    mode(m) {
      mode = m
    },
    async connect() {
      if (mode === 'down') throw new Error('connection refused')
    },
    async send(records: readonly SpoolRecord[]) {
      attempts += 1
      if (mode === 'down') throw new Error('connection refused')
      if (mode === 'hang') return new Promise<void>(() => {})
      if (records.some(refuses)) {
        throw new IngestError('RECORD_REJECTED', 'Kafka refused the batch: MESSAGE_TOO_LARGE', {
          retryable: false,
          cause: { type: 'MESSAGE_TOO_LARGE' },
        })
      }
      batches.push(records.map((r) => r.value.toString()))
      sent.push(...records)
    },
    async reset() {},
    async close() {},
  }
  return link
}

const dirs: string[] = []
const cleanups: Array<() => Promise<unknown>> = []
/** Run first: what a failed test left waiting (a gated send) must not hold the publishers' close. */
const unblock: Array<() => void> = []
afterEach(async () => {
  for (const u of unblock.splice(0)) u()
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
  const time = createManualTime(1_700_000_000_000)
  const events: PublisherEvent[] = []
  const waiters: Array<{ type: string; resolve: (e: PublisherEvent) => void }> = []
  const publisher = createPublisher({
    link,
    spool,
    clock: time.clock,
    timers: time.timers,
    lingerMs: 5,
    maxBatchRecords: 4,
    maxBatchBytes: 64 * 1024,
    deadLetterTopic: 't.dead-letter',
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

/** Waits until the spool is empty (the drain runs on after Kafka is marked up). */
async function drained(h: Harness, spool: Spool): Promise<void> {
  while (spool.depth().records > 0) await h.next('drained')
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
    h.time.advanceSync(5)
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
    h.time.advanceSync(5)
    await Promise.all(second)
    expect(link.batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f'],
    ])
  })
})

describe('the linger after a send', () => {
  const settled = async (): Promise<void> => {
    for (let i = 0; i < 50; i++) await Promise.resolve()
  }

  /** A link whose sends wait until `release()`: a batch in flight for as long as the test wants. */
  function gatedLink() {
    const link = fakeLink()
    const send = link.send.bind(link)
    const gates: Array<() => void> = []
    let started = 0
    let open = false
    link.send = (records) => {
      started += 1
      if (open) return send(records)
      return new Promise<void>((resolve) => gates.push(resolve)).then(() => send(records))
    }
    unblock.push(() => {
      open = true
      for (const gate of gates.splice(0)) gate()
    })
    return Object.assign(link, {
      /** Sends begun (released or not). */
      started: () => started,
      /** Lets the oldest send begun so far answer (its start and its acknowledgement run in promise jobs). */
      release: async () => {
        await settled()
        gates.shift()?.()
        await settled()
      },
    })
  }

  test('records that arrived during a send wait, once it is acknowledged, until the first of them has waited the linger', async () => {
    const link = gatedLink()
    const h = harness(link, await spoolIn())
    await up(h)
    const first = ['a', 'b', 'c', 'd'].map((n) => h.publisher.publish(rec(n)))
    const second = h.publisher.publish(rec('e'))
    h.time.advanceSync(2)
    const third = h.publisher.publish(rec('f'))
    await link.release()
    expect(await Promise.all(first)).toEqual(['kafka', 'kafka', 'kafka', 'kafka'])
    // 'e' has waited 2 of its 5 ms: no second send yet, so 'f' and later records can join it.
    await settled()
    expect(link.started()).toBe(1)
    h.time.advanceSync(2)
    await settled()
    expect(link.started()).toBe(1)
    h.time.advanceSync(1)
    await settled()
    expect(link.started()).toBe(2)
    await link.release()
    expect(await Promise.all([second, third])).toEqual(['kafka', 'kafka'])
    expect(link.batches).toEqual([
      ['a', 'b', 'c', 'd'],
      ['e', 'f'],
    ])
  })

  test('after a send that took longer than the linger, the next batch goes at once; a full one never waits', async () => {
    const link = gatedLink()
    const h = harness(link, await spoolIn())
    await up(h)
    const first = ['a', 'b', 'c', 'd'].map((n) => h.publisher.publish(rec(n)))
    const late = h.publisher.publish(rec('e'))
    h.time.advanceSync(6)
    await link.release()
    await Promise.all(first)
    await settled()
    expect(link.started()).toBe(2)
    // 'f'…'i' come in during the second send and fill a batch: it goes as soon as that send is done.
    const full = ['f', 'g', 'h', 'i'].map((n) => h.publisher.publish(rec(n)))
    await link.release()
    await late
    await settled()
    expect(link.started()).toBe(3)
    // 'j' waits its linger after the third send; 'k'…'m' fill its batch meanwhile: it goes then.
    const lingering = h.publisher.publish(rec('j'))
    await link.release()
    await Promise.all(full)
    await settled()
    expect(link.started()).toBe(3)
    const filling = ['k', 'l', 'm'].map((n) => h.publisher.publish(rec(n)))
    await settled()
    expect(link.started()).toBe(4)
    await link.release()
    await Promise.all([lingering, ...filling])
    expect(link.batches).toEqual([['a', 'b', 'c', 'd'], ['e'], ['f', 'g', 'h', 'i'], ['j', 'k', 'l', 'm']])
  })

  test('closing sends what is queued at once, without waiting out the linger', async () => {
    const link = gatedLink()
    const h = harness(link, await spoolIn(), { lingerMs: 50 })
    await up(h)
    const first = ['a', 'b', 'c', 'd'].map((n) => h.publisher.publish(rec(n)))
    const queued = h.publisher.publish(rec('e'))
    const closed = h.publisher.close(h.time.clock.now() + 1_000)
    await link.release()
    await Promise.all(first)
    await settled()
    expect(link.started()).toBe(2)
    await link.release()
    expect(await queued).toBe('kafka')
    await closed
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
    h.time.advanceSync(100)
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
    h.time.advanceSync(100)
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
    h.time.advanceSync(1_000)
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
    h.time.advanceSync(5)
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

/** A record of about `bytes` bytes whose value starts with `name`. */
const big = (name: string, bytes: number): SpoolRecord => ({
  topic: 't.events',
  key: '4001',
  value: Buffer.from(name.padEnd(bytes, '.')),
})

const onTopic = (link: ReturnType<typeof fakeLink>, topic: string): string[] =>
  link.sent.filter((r) => r.topic === topic).map((r) => r.value.toString().replace(/\.+$/, ''))

const deadLetters = (link: ReturnType<typeof fakeLink>) =>
  link.sent
    .filter((r) => r.topic === 't.dead-letter')
    .map((r) => {
      const decoded = decodeDeadLetter(r.value)
      if (!decoded.ok) throw new Error(decoded.reason)
      return decoded.deadLetter
    })

describe('records Kafka can never take', () => {
  test('batches are capped by bytes as well as by count', async () => {
    const link = fakeLink()
    const one = frameSize(big('r', 1000))
    const h = harness(link, await spoolIn(), { maxBatchRecords: 100, maxBatchBytes: one * 3 })
    await up(h)
    const results = ['a', 'b', 'c', 'd', 'e', 'f', 'g'].map((n) => h.publisher.publish(big(n, 1000)))
    h.time.advanceSync(5)
    expect(await Promise.all(results)).toEqual(Array(7).fill('kafka'))
    expect(link.batches.map((b) => b.length)).toEqual([3, 3, 1])
    expect(onTopic(link, 't.events')).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g'])
  })

  test('a record larger than a batch may hold goes to the dead-letter topic, never to Kafka or the spool; the others go in order', async () => {
    // Kafka refuses what the publisher would send whole: the wedge of issue 8 if it were retried.
    const link = fakeLink('up', { maxRecordBytes: 20_000 })
    const spool = await spoolIn()
    const h = harness(link, spool, { maxBatchBytes: 16 * 1024 })
    await up(h)
    const results = [
      h.publisher.publish(rec('a')),
      h.publisher.publish(big('huge', 240 * 1024)),
      h.publisher.publish(rec('b')),
    ]
    h.time.advanceSync(5)
    expect(await Promise.all(results)).toEqual(['kafka', 'dead-letter', 'kafka'])
    expect(onTopic(link, 't.events')).toEqual(['a', 'b'])
    const [dead] = deadLetters(link)
    expect(dead).toMatchObject({
      source: 'ingest:publisher',
      appId: 4001,
      topic: 't.events',
      bytes: 240 * 1024,
      limitBytes: 16 * 1024,
      truncated: true,
    })
    expect(dead?.reason).toMatch(/^too_large: /)
    expect(dead?.payload.startsWith('huge')).toBe(true)
    expect(dead?.payload.length).toBeLessThanOrEqual(8 * 1024)
    expect(spool.depth().records).toBe(0)
    expect(h.publisher.status().kafkaUp).toBe(true)
    expect(h.events.filter((e) => e.type === 'set_aside')).toMatchObject([
      { where: 'dead-letter', path: 'direct', bytes: 240 * 1024, rejection: { code: 'too_large' } },
    ])
  })

  test('a batch Kafka refuses for one record: that one is dead-lettered, every other record of the batch still goes, in order', async () => {
    const link = fakeLink('up', { poison: 'poison' })
    const spool = await spoolIn()
    const h = harness(link, spool, { maxBatchRecords: 8 })
    await up(h)
    const names = ['a', 'b', 'poison', 'c', 'd', 'e']
    const results = names.map((n) => h.publisher.publish(rec(n)))
    h.time.advanceSync(5)
    expect(await Promise.all(results)).toEqual(['kafka', 'kafka', 'dead-letter', 'kafka', 'kafka', 'kafka'])
    expect(onTopic(link, 't.events')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(deadLetters(link)).toMatchObject([
      {
        reason: expect.stringMatching(/^too_large: .*MESSAGE_TOO_LARGE/),
        payload: 'poison',
        truncated: false,
      },
    ])
    expect(spool.depth().records).toBe(0)
    expect(h.publisher.status().kafkaUp).toBe(true)
  })

  test('the drain never re-sends a record Kafka refuses: it is dead-lettered and everything after it drains in order', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-pub-'))
    dirs.push(dir)
    // What the old publisher left behind: a spool whose oldest batch Kafka refuses.
    const earlier = await spoolIn(dir)
    await earlier.append([rec('old-1'), rec('poison'), rec('old-2'), big('huge', 100_000), rec('old-3')])
    await earlier.close()

    const link = fakeLink('up', { poison: 'poison' })
    const spool = await spoolIn(dir)
    const h = harness(link, spool, { lingerMs: 0 })
    await up(h)
    await drained(h, spool)
    expect(onTopic(link, 't.events')).toEqual(['old-1', 'old-2', 'old-3'])
    expect(deadLetters(link).map((d) => d.payload.slice(0, 6))).toEqual(['poison', 'huge..'])
    expect(spool.depth().records).toBe(0)
    expect(
      h.events.filter((e) => e.type === 'set_aside').map((e) => e.type === 'set_aside' && e.path),
    ).toEqual(['drain', 'drain'])
    expect(await h.publisher.publish(rec('new'))).toBe('kafka')
    expect(onTopic(link, 't.events')).toEqual(['old-1', 'old-2', 'old-3', 'new'])
  })

  test('when the dead-letter topic refuses the stand-in too, the record goes whole to the quarantine file and the drain goes on', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ingest-pub-'))
    dirs.push(dir)
    const earlier = await spoolIn(dir)
    await earlier.append([rec('old-1'), rec('poison'), rec('old-2')])
    await earlier.close()

    // The dead-letter record quotes the payload, so it holds the poison too.
    const link = fakeLink('up', { poison: 'poison', deadLettersToo: true })
    const spool = await spoolIn(dir)
    const h = harness(link, spool, { lingerMs: 0 })
    await up(h)
    await drained(h, spool)
    expect(onTopic(link, 't.events')).toEqual(['old-1', 'old-2'])
    expect(deadLetters(link)).toEqual([])
    expect(spool.depth().records).toBe(0)
    const read = decodeFrame(await readFile(join(dir, QUARANTINE_FILE)), 0)
    expect(read.ok && read.record.value.toString()).toBe('poison')
    expect(h.events.filter((e) => e.type === 'set_aside')).toMatchObject([
      { where: 'quarantine', path: 'drain' },
    ])
    // A later run's spool never drains the quarantine file.
    expect((await spoolIn(dir)).depth().records).toBe(0)
  })

  test('Kafka going down while a refused batch is being split: what went stays sent, the rest is spooled in order', async () => {
    const link = fakeLink('up', { poison: 'poison' })
    const spool = await spoolIn()
    const h = harness(link, spool, { maxBatchRecords: 8 })
    await up(h)
    const origSend = link.send.bind(link)
    // The refusal, then the first half [a, b, poison] is refused again, [a, b] goes, then Kafka is down.
    link.send = async (records) => {
      if (link.attempts() === 3) link.mode('down')
      return origSend(records)
    }
    const names = ['a', 'b', 'poison', 'c', 'd', 'e']
    const results = names.map((n) => h.publisher.publish(rec(n)))
    h.time.advanceSync(5)
    expect(await Promise.all(results)).toEqual(['kafka', 'kafka', 'spool', 'spool', 'spool', 'spool'])
    expect(onTopic(link, 't.events')).toEqual(['a', 'b'])
    link.mode('up')
    link.send = origSend
    const drained = h.next('kafka_up')
    h.time.advanceSync(100)
    await drained
    expect(onTopic(link, 't.events')).toEqual(['a', 'b', 'c', 'd', 'e'])
    expect(deadLetters(link)).toHaveLength(1)
    expect(spool.depth().records).toBe(0)
  })
})
