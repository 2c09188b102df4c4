import { KafkaSetupError } from './errors.ts'

/**
 * Parses a broker list such as `KAFKA_BROKERS=127.0.0.1:9092,kafka-2:9092`.
 * Every entry must be `host:port` with a port in 1..65535; anything else is a readable error.
 */
export function parseBrokerList(value: string): string[] {
  const entries = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  if (entries.length === 0) {
    throw new KafkaSetupError(
      'KAFKA_BROKERS_INVALID',
      'KAFKA_BROKERS is set but lists no broker (expected host:port[,host:port…])',
      { retryable: false },
    )
  }
  const bad = entries.filter((entry) => {
    const match = /^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(entry)
    const port = Number(match?.[2])
    return !match || port < 1 || port > 65535
  })
  if (bad.length > 0) {
    throw new KafkaSetupError(
      'KAFKA_BROKERS_INVALID',
      `KAFKA_BROKERS has ${bad.length === 1 ? 'an entry' : 'entries'} that ${bad.length === 1 ? 'is' : 'are'} not host:port: ${bad.map((b) => JSON.stringify(b)).join(', ')}`,
      { retryable: false },
    )
  }
  return entries
}
