// The reconciler as a process: configuration from the environment, logs to stdout, SIGTERM/SIGINT stop it.
import { createEgressDispatcher } from '@mixguard/zego-api'
import pino from 'pino'
import { loadConfig } from './config.ts'
import { startReconciler } from './reconciler.ts'

const loaded = loadConfig(process.env)
if (!loaded.ok) {
  console.error(loaded.message)
  process.exit(2)
}
const log = pino({ level: loaded.config.logLevel, base: { service: 'reconciler' } })
// Handlers first: a signal that arrives while the consumer is joining (kafkajs joins inside start)
// still closes the instance cleanly once it has started, rather than killing a member the group
// would then wait a whole session for.
for (const warning of loaded.warnings) {
  // In the structured log for alerting, and on stderr for the person starting it.
  log.warn(warning)
  console.error(warning)
}
const starting = startReconciler(loaded.config, { log, dispatcher: createEgressDispatcher(process.env) })

// Every exit that can leaves the consumer group first, so the group hands this instance's partitions
// on at once instead of waiting out its session: signals, a consumer that stopped for good, and a
// fatal error anywhere (bounded by the shutdown deadline inside close()).
let stopping = false
const stop = (why: Record<string, unknown>, code: number) => {
  if (stopping) return
  stopping = true
  if (code === 0) log.info(why, 'stopping')
  else log.fatal(why, 'stopping after a fatal error')
  starting
    .then((reconciler) => reconciler.close())
    .then(
      () => process.exit(code),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
}
for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => stop({ signal }, 0))
process.on('uncaughtException', (error) => stop({ err: error }, 1))
process.on('unhandledRejection', (error) => stop({ err: error }, 1))
const reconciler = await starting.catch((error: unknown) => {
  // Credentials, certificates, ACLs or unusable topics: the message names what to change.
  console.error(`reconciler cannot start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(2)
})
void reconciler.fatal.then((error) => stop({ err: error }, 1))
