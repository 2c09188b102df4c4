// `pnpm start` (or `./mixguard start`): the whole of Mixguard on this machine.
//
// - Kafka: KAFKA_BROKERS when set, otherwise a local broker (stopped with this command).
// - ZEGO: the real one when ZEGO_APP_ID or ZEGO_APPS_FILE is set (the apps as the services read them),
//   otherwise zego-sim with a demo app, whose callbacks go to ingest and whose customer calls go
//   through ingest's passthrough, as a real backend's would.
// - ingest and reconciler, configured from the environment (every variable: .env.example).
// - MIXGUARD_DEMO=1 (simulator only) plays a short story: an orphaned mix and a superseded one.
// Decisions and outcomes are printed as they land on Kafka. Ctrl-C stops everything.
import { randomBytes } from 'node:crypto'
import { mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { topicName, topicSpecs } from '@mixguard/contracts'
import { loadConfig as loadIngestConfig, startIngest } from '@mixguard/ingest'
import { createKafka, ensureTopics } from '@mixguard/kafka'
import { provideKafka } from '@mixguard/kafka/local'
import { loadConfig as loadReconcilerConfig, startReconciler } from '@mixguard/reconciler'
import { kafkaAccessFromEnv } from '@mixguard/service-kit'
import { createSimulator, type ScenarioStep, type Simulator } from '@mixguard/zego-sim'
import { pino } from 'pino'

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: ./mixguard start

Runs the whole of Mixguard on this machine until Ctrl-C:
  Kafka        KAFKA_BROKERS when set (with KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*), else a local broker
  ZEGO         the real API when ZEGO_APP_ID (with ZEGO_CALLBACK_SECRET and ZEGO_SERVER_SECRET) or
               ZEGO_APPS_FILE is set, else zego-sim with a demo app
  ingest       on :8080, reconciler on :8081 (their other settings: .env.example)
  MIXGUARD_DEMO=1 plays a short story on the simulator; SIM_PORT, KAFKA_PORT pick ports;
  service logs go to MIXGUARD_LOG_FILE (default ~/.cache/mixguard/start.log).`)
  process.exit(0)
}
const env = process.env
const DEMO_APP = 1_000_001
const cache = env.MIXGUARD_CACHE ?? join(env.HOME ?? '.', '.cache', 'mixguard')
// The services' JSON logs (kafkajs's chatter while a fresh broker elects its coordinators included) go
// to a file; the terminal shows what a person watches: where things run, decisions and outcomes.
const logFile = env.MIXGUARD_LOG_FILE ?? join(cache, 'start.log')
const log = pino({ level: env.LOG_LEVEL ?? 'info' }, pino.destination({ dest: logFile, mkdir: true }))
const stops: Array<() => Promise<unknown>> = []
const stopAll = async () => {
  for (const stop of stops.reverse()) await stop().catch((error: unknown) => console.error(error))
}

try {
  const kafka = await provideKafka({ env, port: Number(env.KAFKA_PORT ?? 0) })
  stops.push(() => kafka.stop())
  const brokers = kafka.brokers.join(',')
  const prefix = env.TOPIC_PREFIX ?? 'mixguard'
  // An external cluster may be secured (KAFKA_SECURITY_PROTOCOL …); the local broker is plaintext.
  const access = kafkaAccessFromEnv(kafka.source === 'external' ? env : {})
  const admin = createKafka({ brokers: kafka.brokers, clientId: 'mixguard-start', security: access.security })
  if (access.topics.create) await ensureTopics(admin, topicSpecs(prefix, access.topics))

  const realZego = Boolean(env.ZEGO_APP_ID || env.ZEGO_APPS_FILE)
  let sim: Simulator | undefined
  const demo = {
    serverSecret: randomBytes(16).toString('hex'),
    callbackSecret: randomBytes(16).toString('hex'),
  }
  if (!realZego) {
    sim = await createSimulator({
      host: '127.0.0.1',
      port: Number(env.SIM_PORT ?? 8090),
      apps: [{ appId: DEMO_APP, ...demo }],
    })
    stops.push(() => (sim as Simulator).close())
  }
  // The real apps come from the environment as the services read it (variables, *_FILE, ZEGO_APPS_FILE).
  const zego = realZego
    ? {}
    : {
        ZEGO_APP_ID: String(DEMO_APP),
        ZEGO_SERVER_SECRET: demo.serverSecret,
        ZEGO_CALLBACK_SECRET: demo.callbackSecret,
        ZEGO_API_BASE_URL: (sim as Simulator).url,
      }
  const common = { ...env, ...zego, KAFKA_BROKERS: brokers, TOPIC_PREFIX: prefix }

  const spool = env.INGEST_SPOOL_DIR ?? join(cache, 'spool')
  await mkdir(spool, { recursive: true })
  const ingestConfig = loadIngestConfig({
    INGEST_PORT: '8080',
    INGEST_LOG_LEVEL: 'warn',
    ...common,
    INGEST_SPOOL_DIR: spool,
  })
  if (!ingestConfig.ok) throw new Error(ingestConfig.message)
  const ingest = await startIngest(ingestConfig.config, { logger: log.child({ service: 'ingest' }) })
  stops.push(() => ingest.close())

  const reconcilerConfig = loadReconcilerConfig({
    RECONCILER_PORT: '8081',
    RECONCILER_LOG_LEVEL: 'warn',
    ...common,
  })
  if (!reconcilerConfig.ok) throw new Error(reconcilerConfig.message)
  for (const warning of reconcilerConfig.warnings) console.error(warning)
  const reconciler = await startReconciler(reconcilerConfig.config, {
    log: log.child({ service: 'reconciler' }),
  })
  stops.push(() => reconciler.close())

  const callbackUrl = `${ingest.url}${ingestConfig.config.callbackPath}`
  const passthroughUrl = `${ingest.url}${ingestConfig.config.passthroughPath}`
  if (sim) sim.world.updateApp(DEMO_APP, { callbackUrl })

  const watcher = createKafka({
    brokers: kafka.brokers,
    clientId: 'mixguard-start-watch',
    security: access.security,
  }).consumer({
    groupId: `mixguard-start-${randomBytes(4).toString('hex')}`,
    maxWaitTimeInMs: 200,
  })
  await watcher.connect()
  stops.push(() => watcher.disconnect())
  await watcher.subscribe({ topics: [topicName('decisions', prefix), topicName('outcomes', prefix)] })
  await watcher.run({
    eachMessage: async ({ topic, message }) => {
      const record = JSON.parse(String(message.value)) as Record<string, unknown>
      const time = new Date().toISOString().slice(11, 23)
      if (topic.endsWith('.decisions')) {
        console.log(
          `${time} decision  ${record.action} ${record.taskId} (app ${record.appId}): ${record.reason}${record.rule ? ` / ${record.rule}` : ''}`,
        )
      } else {
        console.log(
          `${time} outcome   ${record.action} ${record.taskId} (app ${record.appId}): ${record.result}${record.zegoCode ? ` (code ${record.zegoCode})` : ''}`,
        )
      }
    },
  })

  console.log(`
Mixguard is running.
  kafka        ${kafka.brokers.join(',')} (${kafka.source}), topics ${prefix}.*
  ingest       ${ingest.url}  callbacks: ${callbackUrl}  ZEGO API passthrough: ${passthroughUrl}
  reconciler   ${reconciler.url}  (/healthz /readyz /metrics)
  logs         ${logFile}
  ZEGO         ${sim ? `simulator ${sim.url} (control: ${sim.url}_sim/…), demo AppId ${DEMO_APP}` : `the real API for AppId ${ingestConfig.config.apps.ids().join(', ')}`}`)
  if (sim) {
    console.log(`
Try it (another terminal):
  ./mixguard sim --sim ${sim.url} publish --app-id ${DEMO_APP} --room r1 --stream s1 --user u1
  ./mixguard sim --sim ${sim.url} start-mix --app-id ${DEMO_APP} --task t1 --user mixer --inputs s1 --outputs o1 --api-base ${passthroughUrl}
  ./mixguard sim --sim ${sim.url} unpublish --app-id ${DEMO_APP} --stream s1
…and watch the decision and the StopMix appear here (${DEMO_APP}'s default grace for a normal close is 10 s).`)
  }
  console.log('\nCtrl-C stops everything.\n')

  if (sim && env.MIXGUARD_DEMO === '1') {
    const story: ScenarioStep[] = [
      { do: 'publish', at: 0, appId: DEMO_APP, roomId: 'demo', streamId: 'host', userId: 'host' },
      { do: 'publish', at: 0, appId: DEMO_APP, roomId: 'demo', streamId: 'guest', userId: 'guest' },
      {
        do: 'startMix',
        at: 1,
        appId: DEMO_APP,
        taskId: 'show-1',
        userId: 'mixer',
        roomId: 'demo',
        inputs: ['host'],
        outputs: ['show'],
      },
      {
        do: 'startMix',
        at: 3,
        appId: DEMO_APP,
        taskId: 'show-2',
        userId: 'mixer',
        roomId: 'demo',
        inputs: ['host', 'guest'],
        outputs: ['show'],
      },
      { do: 'unpublish', at: 5, appId: DEMO_APP, streamId: 'guest' },
      { do: 'unpublish', at: 5, appId: DEMO_APP, streamId: 'host' },
    ]
    console.log(
      'demo: show-2 supersedes show-1 at once; then both hosts leave and show-2 is an orphan (10 s grace)\n',
    )
    void sim
      .runScenario(story, { apiBaseUrl: passthroughUrl })
      .catch((error: unknown) => console.error('demo failed:', error))
  }

  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  console.log('stopping…')
  await stopAll()
  console.log('stopped')
  process.exit(0)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  await stopAll()
  process.exitCode = 1
}
