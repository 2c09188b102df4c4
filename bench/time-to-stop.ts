// Time-to-stop beyond the grace: from the moment an orphan's grace ends (ZEGO's close time + grace)
// to ZEGO receiving our StopMix, through the whole pipeline (zego-sim → ingest → Kafka → reconciler →
// confirmation → StopMix), on the real clock, below the budget rate.
// Run: pnpm bench:time-to-stop [orphans] [perSecond] [graceMs]. Graces under the core's 3 s stop floor
// (STOP_FLOOR_MS: a late close and a late reconnect must get a moment to meet) measure the floor.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicSpecs } from '@mixguard/contracts'
import { loadConfig as loadIngestConfig, startIngest } from '@mixguard/ingest'
import { createKafka, ensureTopics } from '@mixguard/kafka'
import { provideKafka } from '@mixguard/kafka/local'
import { loadConfig as loadReconcilerConfig, startReconciler } from '@mixguard/reconciler'
import { createSimulator } from '@mixguard/zego-sim'
import { pino } from 'pino'

const orphans = Number(process.argv[2] ?? 200)
const perSecond = Number(process.argv[3] ?? 20)
const APP = 7001
const GRACE_MS = Number(process.argv[4] ?? 5_000)
const secrets = { serverSecret: 'b'.repeat(32), callbackSecret: 'c'.repeat(24) }
const prefix = `bench-tts-${Date.now()}`
const quiet = pino({ level: 'error' })

const kafka = await provideKafka({ env: process.env })
const spool = await mkdtemp(join(tmpdir(), 'bench-tts-'))
const sim = await createSimulator({ host: '127.0.0.1', apps: [{ appId: APP, ...secrets }] })
try {
  await ensureTopics(createKafka({ brokers: kafka.brokers, clientId: 'bench-tts' }), topicSpecs(prefix))
  const env = {
    KAFKA_BROKERS: kafka.brokers.join(','),
    TOPIC_PREFIX: prefix,
    ZEGO_APP_ID: String(APP),
    ZEGO_SERVER_SECRET: secrets.serverSecret,
    ZEGO_CALLBACK_SECRET: secrets.callbackSecret,
    ZEGO_API_BASE_URL: sim.url,
    INGEST_PORT: '0',
    INGEST_SPOOL_DIR: spool,
    INGEST_LOG_LEVEL: 'error',
    RECONCILER_PORT: '0',
    RECONCILER_APPS_FILE: '',
  }
  const ingestConfig = loadIngestConfig(env)
  if (!ingestConfig.ok) throw new Error(ingestConfig.message)
  const ingest = await startIngest(ingestConfig.config, { logger: quiet })
  sim.world.updateApp(APP, { callbackUrl: `${ingest.url}/zego/callback` })
  const reconcilerConfig = loadReconcilerConfig(env)
  if (!reconcilerConfig.ok) throw new Error(reconcilerConfig.message)
  const config = reconcilerConfig.config
  const policyFor = config.policyFor
  const reconciler = await startReconciler(
    {
      ...config,
      policyFor: (appId) => ({
        ...policyFor(appId),
        graceMs: { ...policyFor(appId).graceMs, normal: GRACE_MS },
      }),
    },
    { log: quiet },
  )
  const customer = sim.customer.client(APP, `${ingest.url}/zego/`)
  const tasks = Array.from({ length: orphans }, (_, i) => `tts-${i}`)
  for (const task of tasks) {
    sim.actions.publish({ appId: APP, roomId: `room-${task}`, streamId: `in-${task}`, userId: task })
    const started = await customer.startMix({
      TaskId: task,
      UserId: `m-${task}`,
      RoomId: `room-${task}`,
      MixInput: [{ StreamId: `in-${task}` }],
      MixOutput: [{ StreamId: `out-${task}` }],
    })
    if (!started.ok) throw new Error(started.error.message)
  }
  const closedAt = new Map<string, number>()
  const ended = new Map<string, Promise<void>>()
  for (const task of tasks) {
    ended.set(
      task,
      new Promise((resolve) => {
        const off = sim.world.subscribe((e) => {
          if (e.type === 'task_ended' && e.task.taskId === task) {
            off()
            resolve()
          }
        })
      }),
    )
  }
  const began = Date.now()
  for (const [i, task] of tasks.entries()) {
    // Paced below the budget, so the figure is the pipeline's latency and not a queue's.
    await new Promise((resolve) =>
      setTimeout(resolve, Math.max(0, began + (i * 1000) / perSecond - Date.now())),
    )
    closedAt.set(task, sim.clock.now())
    sim.actions.unpublish({ appId: APP, streamId: `in-${task}` })
  }
  await Promise.all(ended.values())
  const stops = new Map(sim.ledger.stopCalls(APP).map((c) => [c.taskId, c.simAt]))
  const beyond = tasks
    .map((t) => (stops.get(t) ?? Number.NaN) - ((closedAt.get(t) ?? 0) + GRACE_MS))
    .sort((a, b) => a - b)
  const q = (p: number) => beyond[Math.min(beyond.length - 1, Math.floor(p * beyond.length))] ?? Number.NaN
  console.log(
    `time-to-stop beyond a ${GRACE_MS} ms grace, ${orphans} orphans closed at ${perSecond}/s, stream-list confirmation on`,
  )
  console.log(
    `  p50 ${Math.round(q(0.5))} ms   p99 ${Math.round(q(0.99))} ms   max ${Math.round(beyond.at(-1) ?? Number.NaN)} ms`,
  )
  await reconciler.close()
  await ingest.close()
} finally {
  await sim.close()
  await kafka.stop()
  await rm(spool, { recursive: true, force: true })
}
