// The reconciler as a process: configuration from the environment, logs to stdout, SIGTERM/SIGINT stop it.
import pino from 'pino'
import { loadConfig } from './config.ts'
import { startReconciler } from './reconciler.ts'

const loaded = loadConfig(process.env)
if (!loaded.ok) {
  console.error(loaded.message)
  process.exit(2)
}
const log = pino({ level: loaded.config.logLevel, base: { service: 'reconciler' } })
const reconciler = await startReconciler(loaded.config, { log })

let stopping = false
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'stopping')
    reconciler.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed')
        process.exit(1)
      },
    )
  })
}
