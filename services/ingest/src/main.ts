import cluster from 'node:cluster'
import { createEgressDispatcher } from '@mixguard/zego-api'
import { pino } from 'pino'
import { type IngestConfig, loadConfig } from './config.ts'
import { startIngest } from './ingest.ts'
import { startWorkerPool, WORKER_INDEX_VARIABLE } from './worker-pool.ts'
import { strandedSpools, workerSpoolDir } from './worker-spools.ts'

// The only file that touches `process`: environment in, signals and exit codes out.
const loaded = loadConfig(process.env)
if (!loaded.ok) {
  console.error(loaded.message)
  process.exit(2)
}
const { config } = loaded
if (config.workers > 1 && cluster.isPrimary) await runPrimary(config)
else await runIngest(config, cluster.isPrimary ? null : Number(process.env[WORKER_INDEX_VARIABLE]))

/** One ingest: the whole service, or worker `index` of INGEST_WORKERS (its own spool and admin port). */
async function runIngest(base: IngestConfig, index: number | null): Promise<void> {
  const config =
    index === null
      ? base
      : {
          ...base,
          spool: { ...base.spool, dir: workerSpoolDir(base.spool.dir, index) },
          admin: { ...base.admin, port: base.admin.port === 0 ? 0 : base.admin.port + index },
        }
  const logger =
    index === null ? undefined : pino({ level: config.logLevel, base: { service: 'ingest', worker: index } })
  const ingest = await startIngest(config, {
    dispatcher: createEgressDispatcher(process.env),
    ...(logger === undefined ? {} : { logger }),
  }).catch((error: unknown) => {
    // Credentials, certificates, ACLs or unusable topics: the message names what to change.
    console.error(`ingest cannot start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(2)
  })

  let stopping = false
  const stop = (signal: string): void => {
    if (stopping) return
    stopping = true
    // A hard stop a little after the deadline, in case something ignores it; spooled records are on disk.
    setTimeout(() => {
      console.error(`ingest did not stop within ${config.shutdownTimeoutMs} ms after ${signal}; exiting`)
      process.exit(1)
    }, config.shutdownTimeoutMs + 2_000).unref()
    ingest.close().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('ingest failed to stop cleanly', error)
        process.exit(1)
      },
    )
  }
  // SIGTERM (an orchestrator): fail readiness but keep serving for INGEST_DRAIN_DELAY_MS, so the load
  // balancer takes this instance out of rotation before it refuses work. SIGINT (Ctrl-C) stops at once.
  // Alone, a second signal ends the process at once (Node's default action: a second Ctrl-C forces).
  // A worker gets a signal twice as a matter of course (Ctrl-C reaches the whole process group, and the
  // primary passes it on): it keeps listening, the first one counts, and the primary's deadline forces.
  const listen = index === null ? process.once.bind(process) : process.on.bind(process)
  let draining = false
  listen('SIGTERM', () => {
    if (draining) return
    draining = true
    ingest.drain()
    setTimeout(() => stop('SIGTERM'), config.drainDelayMs)
  })
  listen('SIGINT', () => stop('SIGINT'))
}

/** INGEST_WORKERS > 1: this process only starts the workers, passes signals on and waits for them. */
async function runPrimary(config: IngestConfig): Promise<void> {
  const stranded = await strandedSpools(config.spool.dir, config.workers)
  if (stranded.length > 0) {
    const list = stranded.map((s) => `worker ${s.index}: ${s.records} records in ${s.dir}`).join('; ')
    const needed = Math.max(...stranded.map((s) => s.index)) + 1
    console.error(
      `ingest cannot start with INGEST_WORKERS=${config.workers}: spools of workers it would not start still hold records (${list}); start once with INGEST_WORKERS=${needed} so they drain to Kafka`,
    )
    process.exit(2)
  }
  const log = pino({ level: config.logLevel, base: { service: 'ingest', role: 'primary' } })
  const pool = startWorkerPool(config.workers, (event) => {
    if (event.type === 'started') log.info({ worker: event.index, pid: event.pid }, 'ingest worker started')
    else
      log.error(
        { worker: event.index, code: event.code, signal: event.signal },
        'an ingest worker exited on its own: stopping the others',
      )
  })
  let stopping = false
  const stop = (signal: 'SIGTERM' | 'SIGINT'): void => {
    if (stopping) return
    stopping = true
    pool.stop(signal)
    // Each worker has its own hard stop; this one is for a worker that hangs anyway.
    const grace = (signal === 'SIGTERM' ? config.drainDelayMs : 0) + config.shutdownTimeoutMs + 4_000
    setTimeout(() => {
      console.error(`ingest workers did not stop within ${grace} ms after ${signal}; killing them`)
      pool.kill()
    }, grace).unref()
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
  process.exit(await pool.exited)
}
