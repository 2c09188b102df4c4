import { createEgressDispatcher } from '@mixguard/zego-api'
import { loadConfig } from './config.ts'
import { startIngest } from './ingest.ts'

// The only file that touches `process`: environment in, signals and exit codes out.
const loaded = loadConfig(process.env)
if (!loaded.ok) {
  console.error(loaded.message)
  process.exit(2)
}
const { config } = loaded
const ingest = await startIngest(config, { dispatcher: createEgressDispatcher(process.env) }).catch(
  (error: unknown) => {
    // Credentials, certificates, ACLs or unusable topics: the message names what to change.
    console.error(`ingest cannot start: ${error instanceof Error ? error.message : String(error)}`)
    process.exit(2)
  },
)

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
process.once('SIGTERM', () => {
  ingest.drain()
  setTimeout(() => stop('SIGTERM'), config.drainDelayMs)
})
process.once('SIGINT', () => stop('SIGINT'))
