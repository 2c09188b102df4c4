import { randomUUID } from 'node:crypto'
import { createKafka, type Kafka } from '@mixguard/kafka'
import { inject } from 'vitest'

/** The shared test broker (started once per run by kafka-global-setup.ts). */
export function testBrokers(): string[] {
  return inject('kafkaBrokers')
}

export function testKafka(clientId = `test-${randomUUID().slice(0, 8)}`): Kafka {
  return createKafka({ brokers: testBrokers(), clientId })
}

export { type CollectedRecord, type Collector, collectTopic, uniqueName } from './collect-topic.ts'
