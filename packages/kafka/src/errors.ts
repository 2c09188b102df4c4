export const kafkaSetupErrorCodes = [
  'KAFKA_BROKERS_INVALID',
  'KAFKA_NO_RUNTIME',
  'KAFKA_JARS_FAILED',
  'KAFKA_START_FAILED',
  'KAFKA_DOCKER_FAILED',
] as const
export type KafkaSetupErrorCode = (typeof kafkaSetupErrorCodes)[number]

/** Why a Kafka broker could not be provided, with what to do about it in the message. */
export class KafkaSetupError extends Error {
  override readonly name = 'KafkaSetupError'
  readonly code: KafkaSetupErrorCode

  constructor(code: KafkaSetupErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}
