import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { clusterId } from './cluster-id.ts'
import { KafkaSetupError } from './errors.ts'
import { freePort } from './free-port.ts'
import { ensureKafkaJars } from './jars.ts'
import { javaBinary, javaMajorVersion, run } from './runtime.ts'
import { WATCHDOG_SCRIPT } from './watchdog.ts'

export interface LocalBrokerOptions {
  env: NodeJS.ProcessEnv
  /** Port for clients; 0 (default) picks a free one. */
  port?: number
  /** Port for the KRaft controller; 0 (default) picks a free one. */
  controllerPort?: number
  /** Maximum JVM heap, e.g. '512m' (the default). */
  heap?: string
  startTimeoutMs?: number
  /** Every line the broker prints, e.g. to tee into a log file. */
  onLog?: (line: string) => void
  /**
   * A data dir the caller owns, to restart a broker with its data (an outage test). It is formatted
   * on first use and never removed; pass the same ports again so clients find the broker where it was.
   * By default each broker gets a fresh temp dir that is removed when it stops.
   */
  dataDir?: string
  /**
   * A second client listener named SECURE (a security test's SASL_SSL listener, say). Its settings go
   * in `properties` with the `listener.name.secure.` prefix; brokers between themselves keep PLAINTEXT.
   */
  secureListener?: { protocol: 'SSL' | 'SASL_SSL' | 'SASL_PLAINTEXT'; properties: Record<string, string> }
  /** SCRAM users written when the data dir is formatted, e.g. `SCRAM-SHA-256=[name=alice,password=…]`. */
  scramCredentials?: string[]
}

export interface LocalBroker {
  readonly brokers: string[]
  /** The SECURE listener's address, when one was asked for; otherwise empty. */
  readonly secureBrokers: string[]
  readonly dataDir: string
  /** The watchdog's pid; the JVM is its child. */
  readonly pid: number
  /** Stops the JVM (SIGTERM, then SIGKILL) and removes the data dir. Safe to call twice. */
  stop(): Promise<void>
}

function serverProperties(
  dir: string,
  port: number,
  controllerPort: number,
  secure: { port: number; listener: NonNullable<LocalBrokerOptions['secureListener']> } | null,
): string {
  const listeners = [
    `PLAINTEXT://127.0.0.1:${port}`,
    ...(secure ? [`SECURE://127.0.0.1:${secure.port}`] : []),
  ]
  const protocols = [
    'CONTROLLER:PLAINTEXT',
    'PLAINTEXT:PLAINTEXT',
    ...(secure ? [`SECURE:${secure.listener.protocol}`] : []),
  ]
  const extra = Object.entries(secure?.listener.properties ?? {})
    .map(([key, value]) => `${key}=${value}\n`)
    .join('')
  return `process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${controllerPort}
listeners=${[...listeners, `CONTROLLER://127.0.0.1:${controllerPort}`].join(',')}
advertised.listeners=${listeners.join(',')}
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=${protocols.join(',')}
${extra}log.dirs=${join(dir, 'data')}
offsets.topic.replication.factor=1
offsets.topic.num.partitions=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=2
num.partitions=1
`
}

/**
 * Starts a single-node KRaft Apache Kafka from the official jars: free ports, a fresh data dir,
 * readiness checked through the admin API, and a watchdog so the JVM never outlives this process.
 */
export async function startLocalBroker(options: LocalBrokerOptions): Promise<LocalBroker> {
  const { env, heap = '512m', startTimeoutMs = 60_000 } = options
  const java = await javaMajorVersion(env)
  if (java === null || java < 17) {
    throw new KafkaSetupError(
      'KAFKA_NO_RUNTIME',
      java === null
        ? 'No Java found: the local Kafka broker needs Java 17+ (and Maven, once, for its jars). Install a JDK 17+, or set KAFKA_BROKERS, or use Docker with KAFKA_PROVIDER=docker.'
        : `Java ${java} is too old: Kafka 4 needs Java 17+. Install a JDK 17+ (or point JAVA_HOME at one).`,
      { retryable: false },
    )
  }
  const libs = await ensureKafkaJars(env)
  const port = options.port || (await freePort())
  let controllerPort = options.controllerPort || (await freePort())
  while (controllerPort === port) controllerPort = await freePort()
  let securePort = 0
  if (options.secureListener) {
    securePort = await freePort()
    while (securePort === port || securePort === controllerPort) securePort = await freePort()
  }
  const secure = options.secureListener ? { port: securePort, listener: options.secureListener } : null

  const owned = options.dataDir === undefined
  const dir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'mixguard-kafka-')))
  const properties = join(dir, 'server.properties')
  const classpath = join(libs, '*')
  try {
    await mkdir(dir, { recursive: true })
    await writeFile(properties, serverProperties(dir, port, controllerPort, secure))
    if (!existsSync(join(dir, 'data', 'meta.properties'))) {
      const format = [
        '-cp',
        classpath,
        'kafka.tools.StorageTool',
        'format',
        '-t',
        clusterId(),
        '-c',
        properties,
        ...(options.scramCredentials ?? []).flatMap((c) => ['--add-scram', c]),
      ]
      await run(javaBinary(env), format, { env })
    }
  } catch (error) {
    if (owned) await rm(dir, { recursive: true, force: true })
    const output = (error as { output?: string }).output ?? String(error)
    throw new KafkaSetupError(
      'KAFKA_START_FAILED',
      `formatting the Kafka data dir failed:\n${output.trim()}`,
      {
        retryable: false,
        cause: error,
      },
    )
  }

  const jvm = [
    javaBinary(env),
    '-Xms128m',
    `-Xmx${heap}`,
    '-XX:+UseSerialGC',
    '-Djava.awt.headless=true',
    '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn',
    '-Dorg.slf4j.simpleLogger.log.kafka.server.KafkaRaftServer=info',
    '-cp',
    classpath,
    'kafka.Kafka',
    properties,
  ]
  const removeOnExit = owned ? dir : ''
  const child = spawn(
    'bash',
    ['-c', WATCHDOG_SCRIPT, 'mixguard-kafka-watchdog', String(process.pid), removeOnExit, ...jvm],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // Its own process group: a Ctrl-C in the terminal reaches only the owner, which then stops
      // its clients before the broker (the watchdog still ends the broker if the owner dies).
      detached: true,
    },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const recent: string[] = []
  let started!: () => void
  const startedLine = new Promise<void>((resolve) => {
    started = resolve
  })
  const onChunk = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.length === 0) continue
      recent.push(line)
      if (recent.length > 40) recent.shift()
      options.onLog?.(line)
      if (line.includes('Kafka Server started')) started()
    }
  }
  child.stdout?.on('data', onChunk)
  child.stderr?.on('data', onChunk)

  const broker: LocalBroker = {
    brokers: [`127.0.0.1:${port}`],
    secureBrokers: secure ? [`127.0.0.1:${secure.port}`] : [],
    dataDir: dir,
    pid: child.pid ?? -1,
    stop: () => stopWatchdog(child, exited, removeOnExit),
  }

  const failure = (why: string) =>
    new KafkaSetupError(
      'KAFKA_START_FAILED',
      `the local Kafka broker ${why}. Its last lines:\n${recent.join('\n')}`,
      { retryable: false },
    )
  let timer: NodeJS.Timeout | undefined
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(failure(`did not start within ${startTimeoutMs} ms`)), startTimeoutMs)
  })
  const died = exited.then(() => {
    throw failure('exited during start-up')
  })
  try {
    await Promise.race([startedLine, died, deadline])
    await Promise.race([waitForAdmin(broker.brokers), died, deadline])
    return broker
  } catch (error) {
    await broker.stop()
    throw error
  } finally {
    clearTimeout(timer)
  }
}

/** The log line says the broker is up; the admin API saying so too means clients can use it. */
async function waitForAdmin(brokers: string[]): Promise<void> {
  const admin = new Kafka({
    brokers,
    clientId: 'mixguard-readiness',
    logLevel: logLevel.NOTHING,
    retry: { retries: 20, initialRetryTime: 100 },
  }).admin()
  try {
    await admin.connect()
    await admin.describeCluster()
  } finally {
    await admin.disconnect()
  }
}

async function stopWatchdog(child: ChildProcess, exited: Promise<void>, removeDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
  await exited
  if (removeDir) await rm(removeDir, { recursive: true, force: true })
}
