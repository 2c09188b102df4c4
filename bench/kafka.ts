// The benches' broker: KAFKA_BROKERS when set, otherwise a local broker stopped at teardown.
import { provideKafka } from '@mixguard/kafka/local'
import { onTeardown } from './teardown.ts'

export async function withKafka(): Promise<string[]> {
  const kafka = await provideKafka({ env: process.env })
  onTeardown(() => kafka.stop())
  return kafka.brokers
}
