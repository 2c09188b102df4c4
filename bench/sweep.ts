// The room sweep at scale: `rooms` rooms each holding a running task with a live input, through the whole
// pipeline (zego-sim → ingest → Kafka → reconciler → zego-sim) on the real clock, with the default policy
// (the sweep on with half of the 40/s stream-list budget). Measures, once every room has been listed:
// the stream lists per second the reconciler makes, the sweep's cycle time (the age of the oldest
// room's news, sampled every second), and ZEGO's (zego-sim's) rate-limit answers, which must be 0.
// Run: pnpm bench:sweep [rooms] [seconds]
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicSpecs } from '@mixguard/contracts'
import { loadConfig as loadIngestConfig, startIngest } from '@mixguard/ingest'
import { createKafka, ensureTopics, provideKafka } from '@mixguard/kafka'
import { loadConfig as loadReconcilerConfig, startReconciler } from '@mixguard/reconciler'
import { createSimulator } from '@mixguard/zego-sim'
import { pino } from 'pino'

const rooms = Number(process.argv[2] ?? 1_000)
const seconds = Number(process.argv[3] ?? 120)
const APP = 7101
const secrets = { serverSecret: 'b'.repeat(32), callbackSecret: 'c'.repeat(24) }
const prefix = `bench-sweep-${Date.now()}`
const quiet = pino({ level: 'error' })
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

const kafka = await provideKafka({ env: process.env })
const spool = await mkdtemp(join(tmpdir(), 'bench-sweep-'))
const sim = await createSimulator({ host: '127.0.0.1', apps: [{ appId: APP, ...secrets }] })
try {
  await ensureTopics(createKafka({ brokers: kafka.brokers, clientId: 'bench-sweep' }), topicSpecs(prefix))
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
  const reconciler = await startReconciler(reconcilerConfig.config, { log: quiet })
  const customer = sim.customer.client(APP, `${ingest.url}/zego/`)
  // Started at 50/s, under ZEGO's 100/s StartMix limit.
  const began = Date.now()
  for (let i = 0; i < rooms; i++) {
    await sleep(Math.max(0, began + i * 20 - Date.now()))
    sim.actions.publish({ appId: APP, roomId: `room-${i}`, streamId: `in-${i}`, userId: `host-${i}` })
    const started = await customer.startMix({
      TaskId: `task-${i}`,
      UserId: `mixer-${i}`,
      RoomId: `room-${i}`,
      MixInput: [{ StreamId: `in-${i}` }],
      MixOutput: [{ StreamId: `out-${i}` }],
    })
    if (!started.ok) throw new Error(started.error.message)
  }

  /** Every room's last list (answer time), from the reconciler's own state. */
  const listedAt = (): number[] => {
    const times: number[] = []
    for (const app of reconciler.shell.apps())
      for (const bucket of Object.values(app.state.rooms))
        for (const room of Object.values(bucket))
          if (room.observedReceivedAt !== null) times.push(room.observedReceivedAt)
    return times
  }
  const warmup = Date.now()
  while (listedAt().length < rooms) {
    if (Date.now() - warmup > 600_000) throw new Error(`only ${listedAt().length} of ${rooms} rooms listed`)
    await sleep(500)
  }
  const firstCycleMs = Date.now() - warmup

  const lists = () => sim.ledger.calls(APP).filter((c) => c.action === 'DescribeSimpleStreamList').length
  const from = { at: Date.now(), lists: lists() }
  const ages: number[] = []
  while (Date.now() - from.at < seconds * 1000) {
    await sleep(1_000)
    const now = sim.clock.now()
    ages.push(Math.max(...listedAt().map((t) => now - t)))
  }
  const perSecond = (lists() - from.lists) / ((Date.now() - from.at) / 1000)
  ages.sort((a, b) => a - b)
  const q = (p: number) => ages[Math.min(ages.length - 1, Math.floor(p * ages.length))] ?? Number.NaN
  const overloads = sim.ledger.overloads()
  const rateLimited = Object.values(overloads).reduce((n, x) => n + x, 0)
  console.log(`room sweep: ${rooms} rooms with a running task each, default policy, ${seconds} s measured`)
  console.log(`  first full cycle after the last start: ${(firstCycleMs / 1000).toFixed(1)} s`)
  console.log(`  stream lists/s: ${perSecond.toFixed(1)}`)
  console.log(
    `  cycle time (age of the oldest room's news): median ${(q(0.5) / 1000).toFixed(1)} s, max ${((ages.at(-1) ?? Number.NaN) / 1000).toFixed(1)} s`,
  )
  console.log(`  rate-limit answers from zego-sim: ${rateLimited} ${JSON.stringify(overloads)}`)
  await reconciler.close()
  await ingest.close()
  if (rateLimited > 0) process.exitCode = 1
} finally {
  await sim.close()
  await kafka.stop()
  await rm(spool, { recursive: true, force: true })
}
