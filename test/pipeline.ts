import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicName, topicSpecs } from '@mixguard/contracts'
import { loadConfig as loadIngestConfig, type RunningIngest, startIngest } from '@mixguard/ingest'
import { ensureTopics } from '@mixguard/kafka'
import {
  loadConfig as loadReconcilerConfig,
  type RunningReconciler,
  startReconciler,
} from '@mixguard/reconciler'
import {
  type ChaosSwitches,
  createSimulator,
  type Simulator,
  simTimers,
  type WorldEvent,
} from '@mixguard/zego-sim'
import { pino } from 'pino'
import { type Collector, collectTopic, testBrokers, testKafka, uniqueName } from './kafka.ts'

/** One app in the simulated ZEGO, known to ingest, and (with credentials) to the reconciler. */
export interface PipelineApp {
  appId: number
  /** Reconciler policy overrides (times in simulated ms). */
  policy?: Record<string, unknown>
  callbackEncoding?: 'json' | 'form'
}

export interface PipelineOptions {
  apps: PipelineApp[]
  /** Simulated seconds per real second: ZEGO's rules and the reconciler's graces run on this clock. */
  scale?: number
  chaos?: Partial<ChaosSwitches>
  seed?: number
  /** Reconcilers to start in one consumer group (0: none, e.g. to start them later). */
  reconcilers?: number
  callsPerSecond?: number
  /** More ingest settings (the nonce store, say), for the first ingest and every `startIngestReplica`. */
  ingestEnv?: Record<string, string>
}

export interface MixSpec {
  id: string
  user: string
  room: string
  input: string
  output: string
}

export interface Pipeline {
  prefix: string
  sim: Simulator
  ingest: RunningIngest
  reconcilers: RunningReconciler[]
  /** The environment a reconciler process needs to join this pipeline (on the real clock: use scale 1). */
  reconcilerEnv: Record<string, string>
  decisions: Collector
  outcomes: Collector
  /** The customer's client for an app, going through ingest's passthrough (so StartMix is recorded). */
  customer(appId: number): ReturnType<Simulator['customer']['client']>
  addReconciler(): Promise<RunningReconciler>
  /**
   * A one-input, one-output mix started through ingest's passthrough, its input published first unless
   * it is live. Throws if ZEGO refuses it.
   */
  startMix(appId: number, task: MixSpec): Promise<void>
  /**
   * Another ingest replica of the same deployment (its own spool, the same apps, topics and settings),
   * as a load balancer would have beside the first. Closed by `close()` unless closed before.
   */
  startIngestReplica(): Promise<RunningIngest>
  /** Resolves with the world event that ends the task; call it before causing the end. */
  taskEnded(appId: number, taskId: string): Promise<Extract<WorldEvent, { type: 'task_ended' }>>
  close(): Promise<void>
}

const logLevel = (process.env.PIPELINE_LOG_LEVEL ?? 'silent') as 'silent'
const hex = (n: number) => Array.from({ length: n }, (_, i) => ((i * 7 + n) % 16).toString(16)).join('')

/**
 * The whole product on the shared test broker: zego-sim (ZEGO) → ingest (callbacks and the mix-API
 * passthrough) → Kafka → reconciler(s) → zego-sim. Each pipeline has its own topics and group. The
 * reconcilers run on the simulator's clock, so graces and ZEGO's idle rule speed up together.
 */
export async function startPipeline(options: PipelineOptions): Promise<Pipeline> {
  const prefix = uniqueName('pipe')
  const brokers = testBrokers().join(',')
  const groupId = uniqueName('reconciler')
  const spoolDir = await mkdtemp(join(tmpdir(), 'mixguard-pipeline-spool-'))
  const kafka = testKafka()
  await ensureTopics(kafka, topicSpecs(prefix))
  const secrets = new Map(
    options.apps.map((a) => [a.appId, { serverSecret: hex(32), callbackSecret: `cb-${a.appId}-${hex(12)}` }]),
  )
  const sim = await createSimulator({
    scale: options.scale ?? 50,
    seed: options.seed ?? 1,
    ...(options.chaos ? { chaos: options.chaos } : {}),
    apps: options.apps.map((a) => ({
      appId: a.appId,
      ...secrets.get(a.appId),
      callbackEncoding: a.callbackEncoding ?? 'json',
    })),
  })
  // One apps file for both services, as a deployment mounts it.
  const appsFile = join(tmpdir(), `${prefix}-apps.json`)
  await writeFile(
    appsFile,
    JSON.stringify({
      apps: options.apps.map((a) => ({
        appId: a.appId,
        callbackSecrets: [secrets.get(a.appId)?.callbackSecret],
        serverSecret: secrets.get(a.appId)?.serverSecret,
        ...(a.policy ? { policy: a.policy } : {}),
      })),
    }),
  )
  const ingestConfig = (spool: string) => {
    const loaded = loadIngestConfig({
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: '0',
      INGEST_ADMIN_PORT: '0',
      INGEST_LOG_LEVEL: logLevel,
      INGEST_SPOOL_DIR: spool,
      ZEGO_APPS_FILE: appsFile,
      KAFKA_BROKERS: brokers,
      TOPIC_PREFIX: prefix,
      ZEGO_API_BASE_URL: sim.url,
      ...options.ingestEnv,
    })
    if (!loaded.ok) throw new Error(loaded.message)
    return loaded.config
  }
  const ingest = await startIngest(ingestConfig(spoolDir), { logger: pino({ level: logLevel }) })
  const replicas: Array<{ ingest: RunningIngest; spool: string }> = []
  const startIngestReplica = async () => {
    const spool = await mkdtemp(join(tmpdir(), 'mixguard-pipeline-spool-'))
    const replica = await startIngest(ingestConfig(spool), { logger: pino({ level: logLevel }) })
    replicas.push({ ingest: replica, spool })
    return replica
  }
  for (const app of options.apps)
    sim.world.updateApp(app.appId, { callbackUrl: `${ingest.url}/zego/callback` })

  const reconcilerEnv: Record<string, string> = {
    RECONCILER_HOST: '127.0.0.1',
    RECONCILER_PORT: '0',
    RECONCILER_LOG_LEVEL: logLevel,
    RECONCILER_GROUP_ID: groupId,
    ZEGO_APPS_FILE: appsFile,
    RECONCILER_SHUTDOWN_TIMEOUT_MS: '2000',
    KAFKA_BROKERS: brokers,
    TOPIC_PREFIX: prefix,
    ZEGO_API_BASE_URL: sim.url,
    ZEGO_CALLS_PER_SECOND: String(options.callsPerSecond ?? 80),
  }
  const reconcilerConfig = loadReconcilerConfig(reconcilerEnv)
  if (!reconcilerConfig.ok) throw new Error(reconcilerConfig.message)
  const timers = simTimers(sim.clock)
  const reconcilers: RunningReconciler[] = []
  const addReconciler = async () => {
    const running = await startReconciler(reconcilerConfig.config, {
      log: pino({ level: logLevel, base: { reconciler: reconcilers.length } }),
      clock: sim.clock,
      timers,
    })
    reconcilers.push(running)
    return running
  }
  for (let i = 0; i < (options.reconcilers ?? 1); i++) await addReconciler()

  const decisions = await collectTopic(kafka, topicName('decisions', prefix))
  const outcomes = await collectTopic(kafka, topicName('outcomes', prefix))

  const ended = (appId: number, taskId: string) =>
    new Promise<Extract<WorldEvent, { type: 'task_ended' }>>((resolve) => {
      const unsubscribe = sim.world.subscribe((event) => {
        if (event.type === 'task_ended' && event.app.appId === appId && event.task.taskId === taskId) {
          unsubscribe()
          resolve(event)
        }
      })
    })

  return {
    prefix,
    sim,
    ingest,
    reconcilers,
    reconcilerEnv,
    decisions,
    outcomes,
    customer: (appId) => sim.customer.client(appId, `${ingest.url}/zego/`),
    addReconciler,
    async startMix(appId, task) {
      if (!sim.world.streams(appId).some((s) => s.streamId === task.input && s.live))
        sim.actions.publish({ appId, roomId: task.room, streamId: task.input, userId: `pub-${task.input}` })
      const started = await sim.customer.client(appId, `${ingest.url}/zego/`).startMix({
        TaskId: task.id,
        UserId: task.user,
        RoomId: task.room,
        MixInput: [{ StreamId: task.input }],
        MixOutput: [{ StreamId: task.output }],
      })
      if (!started.ok) throw new Error(`StartMix ${task.id} was refused: ${JSON.stringify(started)}`)
    },
    startIngestReplica,
    taskEnded: ended,
    async close() {
      await Promise.allSettled(reconcilers.map((r) => r.close()))
      await Promise.allSettled([decisions.stop(), outcomes.stop()])
      await ingest.close()
      for (const r of replicas) {
        await r.ingest.close()
        await rm(r.spool, { recursive: true, force: true })
      }
      await sim.close()
      await rm(spoolDir, { recursive: true, force: true })
      await rm(appsFile, { force: true })
    },
  }
}
