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
export { freePort } from './free-port.ts'
export { ensureKafkaJars, KAFKA_VERSION } from './jars.ts'
export { type LocalBroker, type LocalBrokerOptions, startLocalBroker } from './local-broker.ts'
export { type PreflightOptions, preflightKafka } from './preflight.ts'
export { type KafkaSource, type ProvidedKafka, provideKafka } from './provider.ts'
export { type KafkaSecurity, PLAINTEXT, type RevealableSecret, type SaslMechanism } from './security.ts'
export {
  prepareTopics,
  TopicCheckError,
  type TopicCheckOptions,
  type TopicCheckResult,
} from './topic-check.ts'
export { createTopicCommands } from './topic-commands.ts'
