// What services use in production. A local broker for tests and the start command: '@mixguard/kafka/local'.
export type { Consumer, EachBatchPayload, Kafka, KafkaMessage, Producer } from 'kafkajs'
export { CompressionTypes } from 'kafkajs'
export { checkKafkaAccess } from './access-check.ts'
export { parseBrokerList } from './brokers.ts'
export {
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  type KafkaClientOptions,
  type KafkaLogLevel,
  type KafkaLogSink,
  type TopicSpec,
} from './client.ts'
export { KafkaSetupError, type KafkaSetupErrorCode } from './errors.ts'
export { explainKafkaAccess, KafkaAccessError, type KafkaAccessProblemCode } from './explain.ts'
export { type PreflightOptions, preflightKafka } from './preflight.ts'
export { type KafkaSecurity, PLAINTEXT, type RevealableSecret, type SaslMechanism } from './security.ts'
export {
  prepareTopics,
  TopicCheckError,
  type TopicCheckOptions,
  type TopicCheckResult,
} from './topic-check.ts'
export { createTopicCommands } from './topic-commands.ts'
