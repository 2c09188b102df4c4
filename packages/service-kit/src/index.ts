export {
  brokerList,
  httpUrl,
  type LogLevel,
  logLevel,
  presentVariables,
  topicPrefix,
  wholeNumber,
} from './env.ts'
export { type JsonText, parseJsonText } from './json-text.ts'
export { Secret } from './secret.ts'
export { packageVersion, registerStandardMetrics } from './standard-metrics.ts'
