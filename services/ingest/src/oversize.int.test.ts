import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicSpecs } from '@mixguard/contracts'
import { ensureTopics, type Kafka } from '@mixguard/kafka'
import { systemClock, systemTimers } from '@mixguard/time'
import { callbackSignature, signQuery } from '@mixguard/zego-api'
import { request } from 'undici'
import { afterEach, expect, test } from 'vitest'
import { type Collector, collectTopic, testBrokers, testKafka, uniqueName } from '../../../test/kafka.ts'
import { deadLettersOf, eventsOf, fakeZego, startIngestFixture } from './int-support.ts'
import { createKafkaLink } from './kafka-link.ts'
import { createPublisher } from './publisher.ts'
import { openSpool } from './spool.ts'
import type { SpoolRecord } from './spool-format.ts'

/**
 * Issue 8, item 1: records Kafka can never take must not wedge ingest's publishing. Each test mixes
 * such records with ordinary ones on the real broker: every ordinary one lands on its topic in order,
 * each oversize one on the dead-letter topic, and nothing stays in the spool.
 */

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const APP = { appId: 4001, serverSecret: 'ss-4001', callbackSecret: 'cs-4001' }
const KiB = 1024

async function collect(kafka: Kafka, topic: string): Promise<Collector> {
  const c = await collectTopic(kafka, topic)
  cleanups.push(() => c.stop())
  return c
}

/** A signed stream_create callback for stream `streamId`. */
function callback(streamId: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = `n-${streamId}`
  return JSON.stringify({
    event: 'stream_create',
    appid: String(APP.appId),
    timestamp,
    nonce,
    signature: callbackSignature(APP.callbackSecret, timestamp, nonce),
    room_id: 'r-1',
    room_session_id: '9001',
    user_id: 'u-1',
    stream_id: streamId,
    stream_sid: `${streamId}-sid`,
    stream_seq: '1',
    create_time_ms: `${Date.now()}`,
    recreate: '0',
  })
}

/** Stands in for ZEGO: refuses every call, as ZEGO refuses a bloated StartMix. */
async function refusingZego(): Promise<string> {
  const zego = await fakeZego({ Code: 110200002, Message: 'bad input', RequestId: 'r-1' })
  cleanups.push(zego.close)
  return zego.url
}

test(
  'large StartMix calls through the passthrough never wedge publishing: every callback lands in order, each oversize call is dead-lettered',
  { timeout: 120_000 },
  async () => {
    const fx = await startIngestFixture({
      brokers: testBrokers(),
      prefix: uniqueName('oversize'),
      apps: [{ appId: APP.appId, callbackSecrets: [APP.callbackSecret], serverSecret: APP.serverSecret }],
      env: {
        ZEGO_API_BASE_URL: await refusingZego(),
        // Bodies this large reach the passthrough (an operator may raise its cap); the topic's 1 MiB
        // limit is what they meet.
        INGEST_BODY_LIMIT_BYTES: String(4 * 1024 * KiB),
        INGEST_PASSTHROUGH_BODY_LIMIT_BYTES: String(4 * 1024 * KiB),
      },
    })
    cleanups.push(() => fx.close())
    const onEvents = await collect(fx.kafka, `${fx.prefix}.events`)
    const onDeadLetter = await collect(fx.kafka, `${fx.prefix}.dead-letter`)

    const postCallback = async (streamId: string): Promise<number> => {
      const res = await request(`${fx.ingest.url}/zego/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: callback(streamId),
      })
      await res.body.dump()
      return res.statusCode
    }
    const startMix = async (taskId: string, padding: number): Promise<number> => {
      const query = new URLSearchParams({
        Action: 'StartMix',
        ...signQuery(APP.appId, APP.serverSecret, Date.now()),
      })
      const res = await request(`${fx.ingest.url}/zego/?${query}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          TaskId: taskId,
          UserId: 'mixer',
          RoomId: 'r-1',
          MixInput: [{ StreamId: 'in-1' }],
          MixOutput: [{ StreamId: `${taskId}-out` }],
          Padding: 'x'.repeat(padding),
        }),
      })
      await res.body.dump()
      return res.statusCode
    }
    const callbacks = async (label: string, count: number): Promise<string[]> => {
      const ids = Array.from({ length: count }, (_, i) => `${label}-${i}`)
      for (const id of ids) expect(await postCallback(id)).toBe(200)
      return ids
    }

    const before = await callbacks('before', 5)
    // Eight ~240 KB StartMix calls at once (the wedge), two more above the topic's limit, and
    // callbacks arriving meanwhile.
    const large = Array.from({ length: 8 }, (_, i) => startMix(`large-${i}`, 240 * KiB))
    const oversize = Array.from({ length: 2 }, (_, i) => startMix(`oversize-${i}`, 1536 * KiB))
    const during = await callbacks('during', 5)
    expect(await Promise.all([...large, ...oversize])).toEqual(Array(10).fill(200))
    const after = await callbacks('after', 5)

    const streams = () =>
      eventsOf(onEvents).flatMap((e) => (e.type === 'stream_created' ? [e.body.streamId] : []))
    const calls = () => eventsOf(onEvents).flatMap((e) => (e.type === 'mix_api_call' ? [e.body.taskId] : []))
    await onEvents.until(
      'every callback and every StartMix that fits',
      () => streams().length === 15 && calls().length === 8,
    )
    // One partition holds app 4001: the callbacks are there in the order ingest acknowledged them.
    expect(streams()).toEqual([...before, ...during, ...after])
    expect(calls().sort()).toEqual(Array.from({ length: 8 }, (_, i) => `large-${i}`))
    // The request is stored once: a 240 KB StartMix takes a little over 240 KB.
    const sizes = onEvents.records
      .filter((r) => r.value.includes('"mix_api_call"'))
      .map((r) => r.value.length)
    for (const size of sizes) expect(size).toBeLessThan(250 * KiB)

    await onDeadLetter.until('the two oversize StartMix calls', (r) => r.length === 2)
    for (const dead of deadLettersOf(onDeadLetter)) {
      expect(dead).toMatchObject({
        source: 'ingest:publisher',
        appId: APP.appId,
        topic: `${fx.prefix}.events`,
        truncated: true,
      })
      expect(dead.reason).toMatch(/^too_large: /)
      expect(dead.bytes).toBeGreaterThan(1536 * KiB)
      expect(dead.payload.length).toBeLessThanOrEqual(8 * KiB)
    }
    expect(fx.ingest.status()).toMatchObject({ kafkaUp: true, spool: { records: 0 } })
    const metrics = await (await request(`${fx.ingest.adminUrl}/metrics`)).body.text()
    expect(metrics).toMatch(
      /mixguard_ingest_records_set_aside_total\{where="dead-letter",reason="too_large",path="direct"\} 2/,
    )
  },
)

/**
 * Fresh topics whose events topic takes at most 200 KiB (as an older setup may have made it), so the
 * broker refuses 300 KiB records that ingest's own size check lets through; and an empty spool dir.
 */
async function refusingTopics(label: string): Promise<{ prefix: string; kafka: Kafka; spoolDir: string }> {
  const prefix = uniqueName(label)
  const kafka = testKafka()
  await smallEventsTopic(kafka, prefix, 200 * KiB)
  const spoolDir = await mkdtemp(join(tmpdir(), 'ingest-int-spool-'))
  cleanups.push(() => rm(spoolDir, { recursive: true, force: true }))
  return { prefix, kafka, spoolDir }
}

async function smallEventsTopic(kafka: Kafka, prefix: string, maxMessageBytes: number): Promise<void> {
  const specs = topicSpecs(prefix).filter((t) => t.logical === 'events' || t.logical === 'dead-letter')
  await ensureTopics(
    kafka,
    specs.map((t) =>
      t.logical !== 'events'
        ? t
        : {
            ...t,
            configEntries: [
              ...t.configEntries.filter((e) => e.name !== 'max.message.bytes'),
              { name: 'max.message.bytes', value: String(maxMessageBytes) },
            ],
          },
    ),
  )
}

const record = (prefix: string, name: string, bytes = 0): SpoolRecord => ({
  topic: `${prefix}.events`,
  key: String(APP.appId),
  value: Buffer.from(name.padEnd(bytes, '.')),
})

const names = (c: Collector): string[] => c.records.map((r) => r.value.toString().replace(/\.+$/, ''))

test(
  'a spool whose oldest batch the broker refuses drains: the refused records are dead-lettered, all the others land in order',
  { timeout: 120_000 },
  async () => {
    const { prefix, spoolDir } = await refusingTopics('wedged')
    const { spool: earlier } = await openSpool({ dir: spoolDir, maxBytes: 64 * 1024 * KiB })
    // What the old publisher left behind: one batch, refused whole, re-sent forever.
    await earlier.append([
      record(prefix, 'old-1'),
      record(prefix, 'big-1', 300 * KiB),
      record(prefix, 'old-2'),
      record(prefix, 'old-3'),
      record(prefix, 'big-2', 300 * KiB),
      record(prefix, 'old-4'),
    ])
    await earlier.close()

    const fx = await startIngestFixture({
      brokers: testBrokers(),
      prefix,
      apps: [{ appId: APP.appId, callbackSecrets: [APP.callbackSecret], serverSecret: APP.serverSecret }],
      spoolDir,
    })
    cleanups.push(() => fx.close())
    const onEvents = await collect(fx.kafka, `${prefix}.events`)
    const onDeadLetter = await collect(fx.kafka, `${prefix}.dead-letter`)
    await onEvents.until('the spooled records that fit', (r) => r.length >= 4)
    await onDeadLetter.until('the refused ones', (r) => r.length >= 2)
    expect(names(onEvents)).toEqual(['old-1', 'old-2', 'old-3', 'old-4'])
    expect(deadLettersOf(onDeadLetter).map((d) => [d.payload.slice(0, 5), d.reason])).toEqual([
      ['big-1', 'too_large: Kafka refused the batch: MESSAGE_TOO_LARGE'],
      ['big-2', 'too_large: Kafka refused the batch: MESSAGE_TOO_LARGE'],
    ])
    expect(fx.ingest.status()).toMatchObject({ kafkaUp: true, spool: { records: 0 } })
    // What comes next goes straight through.
    expect(
      await request(`${fx.ingest.url}/zego/callback`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: callback('next'),
      }).then((r) => r.statusCode),
    ).toBe(200)
    await onEvents.until('the next callback', (r) => r.length === 5)
  },
)

test(
  'one batch with records the broker refuses: each refused one is dead-lettered, the others are acknowledged from Kafka in order',
  { timeout: 120_000 },
  async () => {
    const { prefix, kafka, spoolDir } = await refusingTopics('refused')
    const { spool } = await openSpool({ dir: spoolDir, maxBytes: 64 * 1024 * KiB })
    const publisher = createPublisher({
      link: createKafkaLink({
        kafka,
        topics: topicSpecs(prefix).filter((t) => t.logical === 'events' || t.logical === 'dead-letter'),
        ackTimeoutMs: 5_000,
      }),
      spool,
      clock: systemClock,
      timers: systemTimers,
      // Long enough that all of them form one batch.
      lingerMs: 200,
      maxBatchRecords: 500,
      maxBatchBytes: 960 * KiB,
      sendTimeoutMs: 10_000,
      deadLetterTopic: `${prefix}.dead-letter`,
    })
    cleanups.push(() => publisher.close(Date.now()))
    publisher.start()
    expect(await publisher.whenUp(30_000)).toBe(true)

    const batch = ['a', 'b', 'big-1', 'c', 'big-2', 'd', 'e'].map((n) =>
      publisher.publish(record(prefix, n, n.startsWith('big') ? 300 * KiB : 0)),
    )
    expect(await Promise.all(batch)).toEqual([
      'kafka',
      'kafka',
      'dead-letter',
      'kafka',
      'dead-letter',
      'kafka',
      'kafka',
    ])
    expect(publisher.status()).toMatchObject({ kafkaUp: true, spool: { records: 0 } })
    // After a refusal the link uses a new producer: later records are taken, none lost as a "duplicate".
    expect(await publisher.publish(record(prefix, 'f'))).toBe('kafka')

    const onEvents = await collect(kafka, `${prefix}.events`)
    const onDeadLetter = await collect(kafka, `${prefix}.dead-letter`)
    await onEvents.until('the records that fit', (r) => r.length >= 6)
    await onDeadLetter.until('the refused ones', (r) => r.length >= 2)
    expect(names(onEvents)).toEqual(['a', 'b', 'c', 'd', 'e', 'f'])
    expect(deadLettersOf(onDeadLetter).map((d) => d.payload.slice(0, 5))).toEqual(['big-1', 'big-2'])
  },
)
