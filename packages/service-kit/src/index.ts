export {
  brokerList,
  httpUrl,
  type LogLevel,
  logLevel,
  presentVariables,
  topicPrefix,
  wholeNumber,
} from './env.ts'
export { secretFrom } from './file-secret.ts'
export { type JsonText, parseJsonText } from './json-text.ts'
export { type KafkaAccess, kafkaAccessFromEnv, kafkaAccessVariables, readKafkaAccess } from './kafka-env.ts'
export { Secret } from './secret.ts'
export { packageVersion, registerStandardMetrics } from './standard-metrics.ts'
