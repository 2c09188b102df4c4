import { randomBytes } from 'node:crypto'
import {
  CompressionTypes,
  createIdempotentProducer,
  ensureTopics,
  type Kafka,
  type Producer,
} from '@mixguard/kafka'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { collectTopic, testKafka, uniqueName } from '../../../../test/kafka.ts'
import { type AppState, parseAppState, storedStateSteps } from '../core/index.ts'
import { closed, created, driver, startMix, T0, v1Stored } from '../core/test-kit.ts'
import type { StateStore } from '../shell-ports.ts'
import { createKafkaStateStore, inOneStep, type StateCompression } from './state-store.ts'

// A changelog topic that refuses records above 64 KB: a state several times that size must still be
// saved and restored whole (it is split), and a later smaller save must leave nothing stale behind.
const MAX_MESSAGE_BYTES = 64 * 1024
const PARTITION = 2
const APP = 4701

type State = { blob: string; n: number }
const kafka = testKafka()
const topic = uniqueName('state')
let producer: Producer

const storeOf = (
  client: Kafka = kafka,
  options: {
    producer?: Producer
    compression?: StateCompression
    onSkipped?: (reason: string, key: string | null) => void
  } = {},
): StateStore<State> =>
  createKafkaStateStore<State>({
    kafka: client,
    producer: options.producer ?? producer,
    compression: options.compression,
    onSkipped: options.onSkipped,
    topic,
    parse: (value) => value as State,
    chunkBytes: 16 * 1024,
    sendBytes: 48 * 1024,
    // Far less than one partition holds: a restore takes many fetches.
    fetchBytes: 32 * 1024,
  })

// Random bytes as base64: gzip cannot shrink it below the topic's limit.
const big = (n: number): State => ({ blob: randomBytes(300 * 1024).toString('base64'), n })

beforeAll(async () => {
  await ensureTopics(kafka, [
    {
      name: topic,
      partitions: 4,
      configEntries: [
        { name: 'cleanup.policy', value: 'compact' },
        { name: 'max.message.bytes', value: String(MAX_MESSAGE_BYTES) },
      ],
    },
  ])
  producer = createIdempotentProducer(kafka)
  await producer.connect()
})
afterAll(async () => {
  await producer?.disconnect()
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: [topic] }).catch(() => {})
  await admin.disconnect()
})

describe('the changelog state store', () => {
  test('a save encodes a state in slices: a timer that came due runs before the encode ends', async () => {
    const log: string[] = []
    // Ten steps of 2 ms each, over two slices (SLICE_MS); in one go the timer would wait for them all.
    function* encode(state: State): Generator<void, unknown, void> {
      for (let i = 0; i < 10; i++) {
        const until = performance.now() + 2
        while (performance.now() < until);
        log.push(`step ${i}`)
        yield
      }
      return state
    }
    const store = createKafkaStateStore<State>({ kafka, producer, topic, parse: (v) => v as State, encode })
    setTimeout(() => log.push('timer'), 0)
    await store.save(PARTITION, [{ appId: APP + 30, appliedOffset: '1', state: { blob: 'b', n: 1 } }])
    expect(log).toHaveLength(11)
    expect(log.indexOf('timer')).toBeLessThan(10)
  })

  test('a save whose beforeWrite throws (the partition was lost while it encoded) writes nothing', async () => {
    const store = storeOf()
    const lost = new Error('not the owner any more')
    await expect(
      store.save(PARTITION, [{ appId: APP + 31, appliedOffset: '5', state: big(1) }], () => {
        throw lost
      }),
    ).rejects.toBe(lost)
    expect((await storeOf().restore([PARTITION])).get(PARTITION)?.has(APP + 31)).toBe(false)
  })

  test('a state larger than one record is split, restored whole, and its old chunks tombstoned', async () => {
    const store = storeOf()
    const first = big(1)
    await store.save(PARTITION, [
      { appId: APP, appliedOffset: '41', state: first },
      { appId: APP + 1, appliedOffset: '42', state: { blob: 'small', n: 0 } },
    ])
    const restored = await storeOf().restore([PARTITION])
    expect(restored.get(PARTITION)?.get(APP)).toEqual({ appId: APP, appliedOffset: '41', state: first })
    expect(restored.get(PARTITION)?.get(APP + 1)?.state).toEqual({ blob: 'small', n: 0 })

    // A newer large version, then a small one: each replaces the last, and old chunks get tombstones.
    const second = big(2)
    await store.save(PARTITION, [{ appId: APP, appliedOffset: '50', state: second }])
    expect((await storeOf().restore([PARTITION])).get(PARTITION)?.get(APP)?.state).toEqual(second)
    await store.save(PARTITION, [{ appId: APP, appliedOffset: '51', state: { blob: 'shrunk', n: 3 } }])
    expect((await storeOf().restore([PARTITION])).get(PARTITION)?.get(APP)?.state).toEqual({
      blob: 'shrunk',
      n: 3,
    })
    const changelog = await collectTopic(kafka, topic)
    const chunkKeys = () => new Set(changelog.records.filter((r) => r.key?.includes('/')).map((r) => r.key))
    const live = () =>
      [...chunkKeys()].filter((key) => changelog.records.findLast((r) => r.key === key)?.value.length)
    try {
      await changelog.until('every chunk of both old versions tombstoned', () => {
        return chunkKeys().size > 30 && live().length === 0
      })
    } finally {
      await changelog.stop()
    }
  })

  test('a restore reads every partition to its end without a consumer group', async () => {
    const states = new Map([0, 1, 2, 3].map((p) => [p, big(10 + p)]))
    const writer = storeOf()
    for (const [p, state] of states)
      await writer.save(p, [{ appId: APP + 10 + p, appliedOffset: '1', state }])
    // The same client, but one that records any consumer made from it (a group's join costs the
    // broker's group.initial.rebalance.delay.ms on every restore).
    const consumers: string[] = []
    const watched = Object.create(kafka) as Kafka
    watched.consumer = (config) => {
      consumers.push(config?.groupId ?? '')
      return kafka.consumer(config)
    }
    const restored = await storeOf(watched).restore([0, 1, 2, 3])
    for (const [p, state] of states) expect(restored.get(p)?.get(APP + 10 + p)?.state).toEqual(state)
    expect(consumers).toEqual([])
  })

  test('state records are compressed by the store (zstd) unless gzip batches or none are asked for; a restore reads all three', async () => {
    // The same producer, but one that records every send's batch compression and its state values.
    const sends: { compression: unknown; values: (Buffer | null)[] }[] = []
    const watched = Object.create(producer) as Producer
    watched.send = (record) => {
      sends.push({ compression: record.compression, values: record.messages.map((m) => m.value as Buffer) })
      return producer.send(record)
    }
    const zstdMagic = (value: Buffer | null) => value?.subarray(0, 4).toString('hex') === '28b52ffd'
    const written = async (compression: StateCompression | undefined, appId: number, state: State) => {
      sends.length = 0
      await storeOf(kafka, { producer: watched, compression }).save(3, [{ appId, appliedOffset: '1', state }])
      const values = sends.flatMap((send) => send.values)
      return {
        compressions: new Set(sends.map((send) => send.compression)),
        // The first chunk of the state: its bytes begin there (the last value is the manifest, JSON).
        first: zstdMagic(values[0] ?? null),
        manifest: values.length > 1 && JSON.parse(String(values.at(-1))).v,
      }
    }
    const states = { zstd: big(30), gzip: big(31), none: big(32) }
    expect(await written(undefined, APP + 30, states.zstd)).toEqual({
      compressions: new Set([CompressionTypes.None]),
      first: true,
      manifest: 2,
    })
    expect(await written('gzip', APP + 31, states.gzip)).toEqual({
      compressions: new Set([CompressionTypes.GZIP]),
      first: false,
      manifest: 2,
    })
    expect(await written('none', APP + 32, states.none)).toEqual({
      compressions: new Set([CompressionTypes.None]),
      first: false,
      manifest: 2,
    })
    // A one-record state compressed, then a truncated copy of it: refused with the reason, the first kept.
    const small = { blob: 'small '.repeat(1000), n: 33 }
    expect((await written(undefined, APP + 33, small)).manifest).toBe(false)
    const [record] = sends.flatMap((send) => send.values)
    expect(zstdMagic(record ?? null)).toBe(true)
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: String(APP + 33), value: record?.subarray(0, -8) ?? null, partition: 3 }],
    })
    const skipped: string[] = []
    const restored = (
      await storeOf(kafka, { onSkipped: (reason, key) => skipped.push(`${key}: ${reason}`) }).restore([3])
    ).get(3)
    expect(restored?.get(APP + 30)?.state).toEqual(states.zstd)
    expect(restored?.get(APP + 31)?.state).toEqual(states.gzip)
    expect(restored?.get(APP + 32)?.state).toEqual(states.none)
    expect(restored?.get(APP + 33)?.state).toEqual(small)
    expect(skipped).toEqual([`${APP + 33}: compressed state does not decompress (unexpected end of file)`])
  })

  test('unchanged(): true while only this store wrote the partition since its restore', async () => {
    const mine = storeOf()
    await mine.restore([PARTITION, PARTITION + 1])
    await mine.save(PARTITION, [{ appId: APP, appliedOffset: '60', state: big(4) }])
    expect(await mine.unchanged([PARTITION, PARTITION + 1])).toEqual(new Set([PARTITION, PARTITION + 1]))
    // Another member writes partition 2 (it owned it for a generation): ours is no longer current.
    await storeOf().save(PARTITION, [{ appId: APP, appliedOffset: '61', state: { blob: 'theirs', n: 5 } }])
    expect(await mine.unchanged([PARTITION, PARTITION + 1])).toEqual(new Set([PARTITION + 1]))
    // A partition never restored here is never taken as current.
    expect(await mine.unchanged([0])).toEqual(new Set())
  })

  test('a changelog of states stored before v2 (v1, JSON) restores; the next save is v2 and restores too', async () => {
    // An app of 40 tasks (its v1 form chunked at 16 KB), their inputs closed, stops pending.
    const d = driver()
    for (let i = 0; i < 40; i++) {
      d.event(created({ streamId: `s${i}`, roomId: `r${i % 8}`, at: T0 + i, seq: i + 1 }))
      d.event(startMix({ taskId: `t${i}`, at: T0 + 100 + i, roomId: `r${i % 8}`, inputs: [`s${i}`] }))
      d.event(closed({ streamId: `s${i}`, roomId: `r${i % 8}`, at: T0 + 10_000, seq: 100 + i }))
    }
    d.tick(T0 + 3_600_000)
    // The form of each AppState the store hands to parse (the other tests' states have no `v`).
    const forms: unknown[] = []
    const appStore = (
      encode: (state: AppState) => Iterator<void, unknown, void>,
      compression?: StateCompression,
    ) =>
      createKafkaStateStore<AppState>({
        kafka,
        producer,
        topic,
        compression,
        parse: (value) => {
          const form = (value as { v?: unknown }).v
          if (form !== undefined) forms.push(form)
          return parseAppState(value)
        },
        encode,
        chunkBytes: 16 * 1024,
        sendBytes: 48 * 1024,
        fetchBytes: 32 * 1024,
      })
    const small = driver()
    small.event(startMix({ taskId: 'alone', at: T0, inputs: ['x'] }))
    // What a version before v2 wrote: both apps in v1 JSON in gzipped batches, one of them chunked.
    await appStore(inOneStep(v1Stored), 'gzip').save(1, [
      { appId: APP + 20, appliedOffset: '7', state: d.state },
      { appId: APP + 21, appliedOffset: '8', state: small.state },
    ])
    const fromV1 = (await appStore(storedStateSteps).restore([1])).get(1)
    expect(forms.sort()).toEqual([1, 1])
    expect(fromV1?.get(APP + 20)).toEqual({ appId: APP + 20, appliedOffset: '7', state: d.state })
    expect(fromV1?.get(APP + 21)?.state).toEqual(small.state)
    // This version saves one of them again (v2): the other stays v1, and both restore.
    const store = appStore(storedStateSteps)
    await store.restore([1])
    await store.save(1, [{ appId: APP + 20, appliedOffset: '9', state: d.state }])
    forms.length = 0
    const mixed = (await appStore(storedStateSteps).restore([1])).get(1)
    expect(forms.sort()).toEqual([1, 2])
    expect(mixed?.get(APP + 20)).toEqual({ appId: APP + 20, appliedOffset: '9', state: d.state })
    expect(mixed?.get(APP + 21)?.state).toEqual(small.state)
  })
})
