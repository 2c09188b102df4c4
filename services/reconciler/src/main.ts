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
for (const app of loaded.config.apps.filter((a) => a.serverSecret === null)) {
  const warning = `WARNING: app ${app.appId} has no serverSecret: its mixes are watched but NEVER stopped (add serverSecret to RECONCILER_APPS_FILE)`
  log.warn({ appId: app.appId }, warning)
  console.error(warning)
}
const reconciler = await startReconciler(loaded.config, {
  log,
  dispatcher: createEgressDispatcher(process.env),
}).catch((error: unknown) => {
  // Credentials, certificates, ACLs or unusable topics: the message names what to change.
  console.error(`reconciler cannot start: ${error instanceof Error ? error.message : String(error)}`)
  process.exit(2)
})

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
