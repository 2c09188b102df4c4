export { appsVariables, type ConfiguredApp, type ConfiguredApps, readApps } from './apps-env.ts'
export { CodedError, codedErrorGuard } from './coded-error.ts'
export {
  brokerList,
  httpUrl,
  type LogLevel,
  logLevel,
  presentVariables,
  refuseRenamed,
  topicPrefix,
  wholeNumber,
} from './env.ts'
export { secretFrom } from './file-secret.ts'
export { type JsonText, parseJsonText } from './json-text.ts'
export { type KafkaAccess, kafkaAccessFromEnv, kafkaAccessVariables, readKafkaAccess } from './kafka-env.ts'
export { Secret } from './secret.ts'
export { packageVersion, registerStandardMetrics } from './standard-metrics.ts'
export { zegoApiVariables } from './zego-env.ts'
