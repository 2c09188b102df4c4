export {
  brokerList,
  httpUrl,
  type LogLevel,
  logLevel,
  presentVariables,
  topicPrefix,
  wholeNumber,
} from './env.ts'
export { Secret } from './secret.ts'
