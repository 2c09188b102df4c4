const kafkaSetupErrorCodes = [
  /** KAFKA_BROKERS or KAFKA_PROVIDER is not what it must be. A configuration bug: not retryable. */
  'KAFKA_BROKERS_INVALID',
  /** The Kafka access settings (security, SASL, TLS files, topic settings) are invalid or unreadable; the message lists every problem. Not retryable. */
  'KAFKA_SETTINGS_INVALID',
  /** Neither Java 17+ nor Docker on the machine. Not retryable. */
  'KAFKA_NO_RUNTIME',
  /** Maven could not fetch the Kafka jars (missing, or no network). Not retryable here: the message says what to fix. */
  'KAFKA_JARS_FAILED',
  /** The local broker did not start (bad data dir, the JVM ended, no free port). Not retryable. */
  'KAFKA_START_FAILED',
  /** The Docker broker did not start. Not retryable. */
  'KAFKA_DOCKER_FAILED',
  /** Topics just created have no leader yet; retryable while `ensureTopics` waits, thrown once it stops. */
  'KAFKA_TOPICS_NOT_READY',
] as const
export type KafkaSetupErrorCode = (typeof kafkaSetupErrorCodes)[number]

/** Why a Kafka broker (or its topics) could not be provided, with what to do about it in the message. */
export class KafkaSetupError extends Error {
  override readonly name = 'KafkaSetupError'
  readonly code: KafkaSetupErrorCode
  readonly retryable: boolean

  constructor(code: KafkaSetupErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable
  }
}
