export { type AppDeps, createApp } from './app.ts'
export type { AppRegistry, AppSecrets } from './apps.ts'
export {
  type ConfigResult,
  ENVIRONMENT_VARIABLES,
  type IngestConfig,
  type LoadConfigOptions,
  loadConfig,
} from './config.ts'
export { IngestError, type IngestErrorCode, ingestErrorCodes, isIngestError } from './errors.ts'
export { type IngestDeps, type RunningIngest, startIngest } from './ingest.ts'
export type { KafkaLink } from './kafka-link.ts'
export { createMetrics as createIngestMetrics } from './metrics.ts'
export type { PublisherStatus } from './publisher.ts'
