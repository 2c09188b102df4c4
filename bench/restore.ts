// Restore time: how long a reconciler takes to rebuild large state from the compacted changelog when
// it is assigned partitions (after a restart or a rebalance).
// Each room holds one running task mixing `streamsPerTask` live streams.
// Run: pnpm bench:restore [apps] [roomsPerApp] [streamsPerTask]
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
import { createIdempotentProducer, createKafka, ensureTopics } from '@mixguard/kafka'
import { provideKafka } from '@mixguard/kafka/local'
import { loadConfig, startReconciler } from '@mixguard/reconciler'
import { pino } from 'pino'

const apps = Number(process.argv[2] ?? 20)
const roomsPerApp = Number(process.argv[3] ?? 250)
const streamsPerTask = Number(process.argv[4] ?? 1)
const prefix = `bench-restore-${Date.now()}`

function eventsFor(appId: number): ZegoEvent[] {
  const now = Date.now()
  const events: ZegoEvent[] = []
  for (let r = 0; r < roomsPerApp; r++) {
    const streams = Array.from({ length: streamsPerTask }, (_, k) =>
      k === 0 ? `host-${r}` : `host-${r}-${k}`,
    )
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
        stream_sid: `sid-${stream}`,
        user_id: stream,
        stream_seq: String(k + 1),
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

const kafka = await provideKafka({ env: process.env })
try {
  const client = createKafka({ brokers: kafka.brokers, clientId: 'bench-restore' })
  await ensureTopics(client, topicSpecs(prefix))
  const producer = createIdempotentProducer(client)
  await producer.connect()
  let total = 0
  for (let a = 0; a < apps; a++) {
    const appId = 5000 + a
    const events = eventsFor(appId)
    total += events.length
    for (let i = 0; i < events.length; i += 500) {
      await producer.send({
        topic: topicName('events', prefix),
        acks: -1,
        messages: events.slice(i, i + 500).map((e) => ({ key: appKey(appId), value: encodeEvent(e) })),
      })
    }
  }
  await producer.disconnect()

  const lines: Array<Record<string, unknown>> = []
  const waiters = new Set<() => void>()
  const log = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        lines.push(JSON.parse(line))
        for (const w of [...waiters]) w()
      },
    },
  )
  const until = (match: (l: Record<string, unknown>) => boolean) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const check = () => {
        const found = lines.find(match)
        if (found) {
          waiters.delete(check)
          resolve(found)
        }
      }
      waiters.add(check)
      check()
    })
  const config = loadConfig({
    KAFKA_BROKERS: kafka.brokers.join(','),
    TOPIC_PREFIX: prefix,
    RECONCILER_PORT: '0',
    RECONCILER_GROUP_ID: `${prefix}-group`,
  })
  if (!config.ok) throw new Error(config.message)

  // First instance: applies every event and saves every app's state to the changelog.
  const first = await startReconciler(config.config, { log })
  const admin = client.admin()
  await admin.connect()
  for (;;) {
    const [offsets, committed] = await Promise.all([
      admin.fetchTopicOffsets(topicName('events', prefix)),
      admin.fetchOffsets({ groupId: `${prefix}-group`, topics: [topicName('events', prefix)] }),
    ])
    const done = offsets.every(
      (o) =>
        o.high === o.low ||
        committed[0]?.partitions.find((p) => p.partition === o.partition)?.offset === o.high,
    )
    if (done) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await admin.disconnect()
  await first.close()
  lines.length = 0

  // Second instance: its start-up restores all of it.
  const began = performance.now()
  const second = await startReconciler(config.config, { log })
  const restored = await until((l) => l.msg === 'restored partitions from the changelog')
  const ms = performance.now() - began
  await second.close()
  console.log(
    `restore: ${apps} apps × ${roomsPerApp} rooms × ${streamsPerTask} streams (${apps * roomsPerApp} tasks, ${apps * roomsPerApp * streamsPerTask} streams; ${total} events)`,
  )
  console.log(
    `  ${restored.apps} app states restored; from start to restored: ${Math.round(ms)} ms (reported restore step ${Math.round(Number(restored.ms))} ms)`,
  )
} finally {
  await kafka.stop()
}
