// Restore: how long a reconciler takes from start to "restored partitions from the changelog" (its
// state rebuilt, after a restart or a rebalance), and what that state costs in memory per running task
// and per live stream. Each room holds one running task mixing `streams` live input streams.
// Memory is measured in a child process (restore-child.ts, --expose-gc: heap used after GC, minus the
// same before the reconciler started) for three shapes, `apps` apps each:
//   small  1 room × 1 stream      (fixed cost: clients, buffers, per-app overhead)
//   tasks  rooms × 1 stream
//   full   rooms × `streams` streams  (the time-to-ready figure)
// bytes per live stream = (full − tasks) / (apps·rooms·(streams − 1));
// bytes per running task = (tasks − small) / (apps·(rooms − 1)) − bytes per stream (the room included).
// How the changelog is written (`from`):
//   events     the shape's events go to Kafka and a first reconciler applies them all, saving as it goes
//              (what a restart meets; its time grows with the decision core's speed on large apps)
//   changelog  the core builds one app's state from the same events and the reconciler's state store
//              saves it for every app, once each (what a restart meets after compaction; quick to set up)
// The full shape's restore is split into its phases: the state store's read of the changelog (fetch,
// decompression, parse), of it JSON.parse and the build of the states (the rest is fetch + waiting for
// the decompression). `compression` is the changelog's (RECONCILER_STATE_COMPRESSION, default zstd: each
// record compressed by the store; gzip: Kafka batches gzipped by kafkajs, what versions before wrote;
// none). `changelog MB` is the values as stored (zstd's compressed bytes; gzip's batches are compressed
// by kafkajs beyond what this sees), `JSON MB` what was parsed.
// Run: pnpm bench:restore [apps=100] [roomsPerApp=1000] [streamsPerTask=5] [from=events|changelog]
//        [compression=zstd|gzip|none]
import {
  appKey,
  encodeEvent,
  mixApiCallEvent,
  parseCallback,
  toEvent,
  topicName,
  topicSpecs,
  type ZegoEvent,
} from '@mixguard/contracts'
import { createIdempotentProducer, createKafka, ensureTopics, type Kafka } from '@mixguard/kafka'
import { loadConfig, startReconciler } from '@mixguard/reconciler'
import {
  type AppState,
  decide,
  defaultPolicy,
  emptyState,
  parseAppState,
  storedStateSteps,
} from '@mixguard/reconciler/core'
import { pino } from 'pino'
import {
  createKafkaStateStore,
  type StateCompression,
} from '../services/reconciler/src/adapters/state-store.ts'
import { waitFor } from '../test/wait-for.ts'
import { runAlone } from './kafka.ts'
import { type Row, row } from './row.ts'
import { runJsonChild } from './teardown.ts'

export interface RestoreShape {
  apps: number
  roomsPerApp: number
  streamsPerTask: number
  /** How the changelog is written (see above); default 'events'. */
  from?: 'events' | 'changelog'
  /** The changelog's compression, as RECONCILER_STATE_COMPRESSION sets it; default 'zstd'. */
  compression?: StateCompression
}

function eventsFor(appId: number, shape: RestoreShape): ZegoEvent[] {
  const now = Date.now()
  const events: ZegoEvent[] = []
  for (let r = 0; r < shape.roomsPerApp; r++) {
    const streams = Array.from({ length: shape.streamsPerTask }, (_, k) => `s-${r}-${k}`)
    for (const [k, stream] of streams.entries()) {
      const parsed = parseCallback({
        event: 'stream_create',
        appid: String(appId),
        timestamp: String(Math.floor(now / 1000)),
        nonce: '1',
        signature: 'x',
        room_id: `room-${r}`,
        room_session_id: String(r),
        stream_id: stream,
        stream_sid: `sid-${r}-${k}`,
        user_id: stream,
        stream_seq: '1',
        create_time_ms: String(now),
        recreate: '0',
      })
      if (!parsed.ok) throw new Error(parsed.reason)
      events.push(toEvent(parsed.callback, { receivedAt: now }))
    }
    events.push(
      mixApiCallEvent({
        appId,
        action: 'StartMix',
        request: {
          TaskId: `task-${r}`,
          UserId: `mixer-${r}`,
          RoomId: `room-${r}`,
          MixInput: streams.map((StreamId) => ({ StreamId })),
          MixOutput: [{ StreamId: `out-${r}` }],
        },
        response: { httpStatus: 200, code: 0, message: 'success', requestId: `req-${r}` },
        requestedAt: now + r,
        receivedAt: now + r,
      }),
    )
  }
  return events
}

interface Restored {
  readyMs: number
  /** CPU from start to ready: the process's, and of it the main thread's (see restore-child.ts). */
  cpuMs: number
  mainCpuMs: number
  restoreStepMs: number
  /** The state store's restore (fetch, decompression, parse), and its JSON.parse and state-building parts. */
  readMs: number
  jsonMs: number
  stateMs: number
  /** Changelog value bytes read as stored, and the JSON bytes parsed. */
  bytes: number
  jsonBytes: number
  apps: number
  heapDelta: number
  events: number
}

/** Writes the shape's changelog (see `from`), then restores it in a child process. */
async function restoreShape(brokers: string[], shape: RestoreShape, name: string): Promise<Restored> {
  const prefix = `bench-restore-${name}-${Date.now()}`
  const group = `${prefix}-group`
  const client = createKafka({ brokers, clientId: 'bench-restore' })
  await ensureTopics(client, topicSpecs(prefix))
  const events =
    shape.from === 'changelog'
      ? await saveStates(client, prefix, shape)
      : await applyEvents(client, brokers, prefix, group, shape)
  const restored = await runJsonChild<Omit<Restored, 'events'>>(
    'restore-child.ts',
    [brokers.join(','), prefix, group],
    ['--expose-gc'],
  )
  return { ...restored, events }
}

/** The shape's events to Kafka, applied by a first reconciler (which saves the changelog as it goes). */
async function applyEvents(
  client: Kafka,
  brokers: string[],
  prefix: string,
  group: string,
  shape: RestoreShape,
): Promise<number> {
  const producer = createIdempotentProducer(client)
  await producer.connect()
  let events = 0
  try {
    for (let a = 0; a < shape.apps; a++) {
      const appId = 5000 + a
      const all = eventsFor(appId, shape)
      events += all.length
      for (let i = 0; i < all.length; i += 500) {
        await producer.send({
          topic: topicName('events', prefix),
          acks: -1,
          messages: all.slice(i, i + 500).map((e) => ({ key: appKey(appId), value: encodeEvent(e) })),
        })
      }
    }
  } finally {
    await producer.disconnect()
  }

  const config = loadConfig({
    KAFKA_BROKERS: brokers.join(','),
    TOPIC_PREFIX: prefix,
    RECONCILER_PORT: '0',
    RECONCILER_GROUP_ID: group,
    RECONCILER_STATE_COMPRESSION: shape.compression ?? 'zstd',
  })
  if (!config.ok) throw new Error(config.message)
  // Fatal only: the first instance's transient coordinator errors are not news; the wait below times out.
  const first = await startReconciler(config.config, { log: pino({ level: 'fatal' }) })
  const admin = client.admin()
  await admin.connect()
  try {
    const topic = topicName('events', prefix)
    await waitFor(
      'the first reconciler to apply every event',
      async () => {
        const [offsets, committed] = await Promise.all([
          admin.fetchTopicOffsets(topic),
          admin.fetchOffsets({ groupId: group, topics: [topic] }),
        ])
        return offsets.every(
          (o) =>
            o.high === o.low ||
            committed[0]?.partitions.find((p) => p.partition === o.partition)?.offset === o.high,
        )
      },
      { timeoutMs: 1_800_000, intervalMs: 250 },
    )
  } finally {
    await admin.disconnect()
    await first.close()
  }
  return events
}

/**
 * One app's state built by the core from the shape's events, saved by the reconciler's state store for
 * every app (its AppID set), once each, spread over the partitions (the one reconciler restores them
 * all). Returns 0: no events.
 */
async function saveStates(client: Kafka, prefix: string, shape: RestoreShape): Promise<number> {
  const now = Date.now()
  let state: AppState = emptyState(5000)
  const policy = defaultPolicy(5000)
  for (const event of eventsFor(5000, shape))
    state = decide(state, { kind: 'event', event }, now, policy).state
  const json = JSON.stringify(state)
  const producer = createIdempotentProducer(client)
  await producer.connect()
  try {
    const store = createKafkaStateStore({
      kafka: client,
      producer,
      topic: topicName('reconciler-state', prefix),
      parse: parseAppState,
      encode: storedStateSteps,
      compression: shape.compression,
    })
    const partitions = topicSpecs(prefix)[0]?.partitions ?? 1
    for (let a = 0; a < shape.apps; a++) {
      const appId = 5000 + a
      const app = { ...(JSON.parse(json) as AppState), appId }
      await store.save(a % partitions, [{ appId, appliedOffset: null, state: app }])
    }
  } finally {
    await producer.disconnect()
  }
  return 0
}

export async function benchRestore(
  brokers: string[],
  shape: RestoreShape,
  progress: (message: string) => void,
): Promise<Row> {
  const { apps, roomsPerApp: rooms, streamsPerTask: streams, from = 'events', compression = 'zstd' } = shape
  progress(`restore: small shape (${apps} apps × 1 room × 1 stream)`)
  const small = await restoreShape(brokers, { ...shape, roomsPerApp: 1, streamsPerTask: 1 }, 'small')
  progress(`restore: tasks shape (${apps} apps × ${rooms} rooms × 1 stream)`)
  const tasks = await restoreShape(brokers, { ...shape, streamsPerTask: 1 }, 'tasks')
  progress(`restore: full shape (${apps} apps × ${rooms} rooms × ${streams} streams)`)
  const full = await restoreShape(brokers, shape, 'full')
  const perStream =
    streams > 1 ? (full.heapDelta - tasks.heapDelta) / (apps * rooms * (streams - 1)) : Number.NaN
  const perTask = (tasks.heapDelta - small.heapDelta) / (apps * (rooms - 1)) - (streams > 1 ? perStream : 0)
  const total = apps * rooms
  return row(
    'restore',
    `restore ${total.toLocaleString('en-US')} running tasks, ${(total * streams).toLocaleString('en-US')} live streams`,
    {
      extra: {
        'time to ready ms': Math.round(full.readyMs),
        'restore step ms': Math.round(full.restoreStepMs),
        'CPU to ready ms': Math.round(full.cpuMs),
        'of it main thread ms': Math.round(full.mainCpuMs),
        'changelog read ms': Math.round(full.readMs),
        'of it JSON.parse ms': Math.round(full.jsonMs),
        'of it state build ms': Math.round(full.stateMs),
        'of it fetch + decompression + other ms': Math.round(full.readMs - full.jsonMs - full.stateMs),
        'changelog MB': Math.round(full.bytes / 2 ** 20),
        'JSON MB': Math.round(full.jsonBytes / 2 ** 20),
        'app states': full.apps,
        'bytes per running task': Math.round(perTask),
        'bytes per live stream': Math.round(perStream),
        'heap after GC MB': Math.round(full.heapDelta / 2 ** 20),
        'changelog from': from,
        'changelog compression': compression,
        'events applied first': full.events,
      },
    },
  )
}

if (import.meta.main) {
  const [apps = '100', rooms = '1000', streams = '5', from = 'events', compression = 'zstd'] =
    process.argv.slice(2)
  if (from !== 'events' && from !== 'changelog') throw new Error(`from is events or changelog, not ${from}`)
  if (compression !== 'zstd' && compression !== 'none' && compression !== 'gzip')
    throw new Error(`compression is zstd, gzip or none, not ${compression}`)
  const shape: RestoreShape = {
    apps: Number(apps),
    roomsPerApp: Number(rooms),
    streamsPerTask: Number(streams),
    from,
    compression,
  }
  await runAlone((brokers, progress) => benchRestore(brokers, shape, progress))
}
