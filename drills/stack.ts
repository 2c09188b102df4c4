import { randomBytes } from 'node:crypto'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type LogicalTopic, topicName, topicSpecs } from '@mixguard/contracts'
import { createKafka, ensureTopics, type Kafka } from '@mixguard/kafka'
import { freePort } from '@mixguard/kafka/local'
import type { ZegoClient } from '@mixguard/zego-api'
import { createSimulator, type Simulator } from '@mixguard/zego-sim'
import { Agent, request } from 'undici'
import { type Collector, collectTopic, uniqueName } from '../test/collect-topic.ts'
import { type ServiceProcess, spawnReconciler, spawnService } from '../test/service-process.ts'
import { before } from './drill.ts'
import type { SecretBook } from './secret-book.ts'

/** The app every drill runs: fresh secrets per stack, all noted in the secret book. */
export interface DrillApp {
  appId: number
  serverSecret: string
  callbackSecret: string
}

export interface StackOptions {
  label: string
  brokers: string[]
  book: SecretBook
  /** Start one reconciler process at once (more with `startReconciler`). */
  reconciler?: boolean
  /** Reconciler policy overrides for the app (real-clock ms). */
  policy?: Record<string, unknown>
  ingestEnv?: Record<string, string>
  reconcilerEnv?: Record<string, string>
  /** Keep every process's log lines and zego-sim's ledger of API calls here (see keepLines). */
  logDir?: string | undefined
}

export interface Stack {
  prefix: string
  app: DrillApp
  sim: Simulator
  kafka: Kafka
  ingest: ServiceProcess
  ingestUrl: string
  callbackUrl: string
  /** Every reconciler process started, the dead ones too (their logs are scanned at the end). */
  reconcilers: ServiceProcess[]
  startReconciler(): ServiceProcess
  /** The customer's ZEGO client, through ingest's passthrough (so StartMix is recorded). */
  customer(): ZegoClient
  collect(kind: LogicalTopic): Promise<Collector>
  /** The sum of an ingest metric's samples from /metrics. */
  metric(name: string): Promise<number>
  /** Stops everything this stack started (even after a failure) and scans every process's logs. */
  close(): Promise<void>
}

const APP_ID = 3_300_001

/**
 * One Mixguard as it is deployed: ingest and the reconciler as their own processes
 * (`services/*\/src/main.ts`, configured by environment), zego-sim in this process as ZEGO on the
 * real clock, and fresh topics on the given broker. Everything listens on 127.0.0.1.
 */
export async function startStack(options: StackOptions): Promise<Stack> {
  const cleanups: Array<() => Promise<unknown>> = []
  const close = async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch((error: unknown) => console.error(error))
  }
  try {
    return await build(options, cleanups, close)
  } catch (error) {
    await close()
    throw error
  }
}

async function build(
  options: StackOptions,
  cleanups: Array<() => Promise<unknown>>,
  close: () => Promise<void>,
): Promise<Stack> {
  const { book, label, logDir } = options
  const prefix = uniqueName(`drill-${label}`)
  const app: DrillApp = {
    appId: APP_ID,
    serverSecret: randomBytes(16).toString('hex'),
    callbackSecret: randomBytes(12).toString('hex'),
  }
  book.secret(app.serverSecret)
  book.secret(app.callbackSecret)
  const kafka = createKafka({ brokers: options.brokers, clientId: `${prefix}-drill` })
  await ensureTopics(kafka, topicSpecs(prefix))
  const dir = await mkdtemp(join(tmpdir(), 'mixguard-drill-'))
  cleanups.push(() => rm(dir, { recursive: true, force: true }))

  // ZEGO's sender on a bounded pool: under overload its callbacks queue (and time out, and are retried,
  // as ZEGO's are) instead of opening sockets until this process runs out of file descriptors.
  const callbackDispatcher = new Agent({ connections: 128, keepAliveTimeout: 2_000 })
  cleanups.push(() => callbackDispatcher.close())
  const sim = await createSimulator({
    host: '127.0.0.1',
    apps: [{ ...app, callbackEncoding: 'json' }],
    callbackDispatcher,
  })
  cleanups.push(() => sim.close())
  cleanups.push(() =>
    keepLines(
      logDir,
      `${prefix}-zego-calls`,
      sim.ledger.calls().map((c) => JSON.stringify(c)),
    ),
  )
  // Signatures of every callback the simulator sends, for the log scan.
  sim.callbacks.subscribe((n) => {
    if (n.type === 'attempt' && n.delivery.attempts.length === 1)
      book.signature(String(n.delivery.payload.signature))
  })

  // One apps file for both services, as a deployment mounts it.
  const appsFile = join(dir, 'apps.json')
  await writeFile(
    appsFile,
    JSON.stringify({
      apps: [
        {
          appId: app.appId,
          callbackSecrets: [app.callbackSecret],
          serverSecret: app.serverSecret,
          ...(options.policy ? { policy: options.policy } : {}),
        },
      ],
    }),
  )
  const port = await freePort()
  const ingest = spawnService(
    'ingest',
    {
      INGEST_HOST: '127.0.0.1',
      INGEST_PORT: String(port),
      INGEST_LOG_LEVEL: 'info',
      INGEST_SPOOL_DIR: join(dir, 'spool'),
      ZEGO_APPS_FILE: appsFile,
      INGEST_SHUTDOWN_TIMEOUT_MS: '5000',
      KAFKA_BROKERS: options.brokers.join(','),
      TOPIC_PREFIX: prefix,
      ZEGO_API_BASE_URL: sim.url,
      ...options.ingestEnv,
    },
    { echoStderr: false },
  )
  cleanups.push(() =>
    stopProcess(ingest)
      .then(() => scan(book, `${label}/ingest`, ingest))
      .then(() => keepLogs(logDir, `${prefix}-ingest`, ingest)),
  )
  await before(
    ingest.line((l) => l.msg === 'ingest listening'),
    60_000,
    'ingest to listen',
  )
  const ingestUrl = `http://127.0.0.1:${port}`
  const callbackUrl = `${ingestUrl}/zego/callback`
  sim.world.updateApp(app.appId, { callbackUrl })

  const reconcilerEnv: Record<string, string> = {
    RECONCILER_HOST: '127.0.0.1',
    RECONCILER_PORT: '0',
    RECONCILER_GROUP_ID: uniqueName(`drill-${label}`),
    ZEGO_APPS_FILE: appsFile,
    RECONCILER_SHUTDOWN_TIMEOUT_MS: '2000',
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: prefix,
    ZEGO_API_BASE_URL: sim.url,
    ZEGO_CALLS_PER_SECOND: '80',
    ...options.reconcilerEnv,
  }
  const reconcilers: ServiceProcess[] = []
  const startReconciler = () => {
    const r = spawnReconciler(reconcilerEnv, { echoStderr: false })
    const n = reconcilers.push(r)
    cleanups.push(() =>
      stopProcess(r)
        .then(() => scan(book, `${label}/reconciler#${n}`, r))
        .then(() => keepLogs(logDir, `${prefix}-reconciler-${n}`, r)),
    )
    return r
  }
  if (options.reconciler)
    await before(
      startReconciler().line((l) => l.msg === 'joined the consumer group'),
      90_000,
      'the reconciler to join its group',
    )

  return {
    prefix,
    app,
    sim,
    kafka,
    ingest,
    ingestUrl,
    callbackUrl,
    reconcilers,
    startReconciler,
    customer: () => sim.customer.client(app.appId, `${ingestUrl}/zego/`),
    async collect(kind) {
      const collector = await collectTopic(kafka, topicName(kind, prefix))
      cleanups.push(() => collector.stop())
      return collector
    },
    metric: (name) => scrapeMetric(ingestUrl, name),
    close,
  }
}

/** SIGTERM, and SIGKILL if it has not gone within 10 s: no process outlives a drill. */
export async function stopProcess(p: ServiceProcess): Promise<void> {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return
  const killer = setTimeout(() => p.child.kill('SIGKILL'), 10_000)
  await p.kill('SIGTERM')
  clearTimeout(killer)
}

/**
 * With a log directory (`pnpm drill --keep-logs <dir>`), every process's log lines, and zego-sim's
 * ledger of API calls, are kept there as JSON lines, one file per process, named after the stack's
 * topic prefix: the evidence for a drill that fails (decisions and outcomes are logged per task).
 */
async function keepLines(dir: string | undefined, name: string, lines: string[]): Promise<void> {
  if (dir === undefined) return
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, `${name}.jsonl`), lines.map((l) => `${l}\n`).join(''))
}

function keepLogs(dir: string | undefined, name: string, p: ServiceProcess): Promise<void> {
  const stderr = p.stderr.map((line) => JSON.stringify({ stderr: line }))
  return keepLines(dir, name, [...p.logs.map((l) => JSON.stringify(l)), ...stderr])
}

function scan(book: SecretBook, source: string, p: ServiceProcess): void {
  book.scan(source, [...p.logs.map((l) => JSON.stringify(l)), ...p.stderr])
}

async function scrapeMetric(url: string, name: string): Promise<number> {
  const res = await request(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) })
  const text = await res.body.text()
  let sum = 0
  let found = false
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name} `) || line.startsWith(`${name}{`)) {
      sum += Number(line.slice(line.lastIndexOf(' ') + 1))
      found = true
    }
  }
  // A renamed metric must fail the drill, not read as 0.
  if (!found) throw new Error(`ingest serves no metric named ${name}`)
  return sum
}
