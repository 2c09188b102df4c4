import type { Kafka } from 'kafkajs'
import { checkKafkaAccess } from './access-check.ts'
import type { TopicSpec } from './client.ts'
import { explainKafkaAccess } from './explain.ts'
import type { KafkaSecurity } from './security.ts'
import { prepareTopics, type TopicCheckOptions, type TopicCheckResult } from './topic-check.ts'

export interface PreflightOptions extends Omit<TopicCheckOptions, 'secured'> {
  security: KafkaSecurity
  topics: readonly TopicSpec[]
}

/**
 * What a service does with Kafka before it starts: proves its address and credentials, then creates
 * (when allowed) and checks its topics. Credential, certificate and ACL failures, and unusable topics,
 * are errors with `retryable: false` naming what to change; an unreachable cluster is the error kafkajs gave.
 */
export async function preflightKafka(kafka: Kafka, options: PreflightOptions): Promise<TopicCheckResult> {
  const { security, topics, ...check } = options
  await checkKafkaAccess(kafka, security)
  const secured = security.tls !== null || security.sasl !== null
  try {
    return await prepareTopics(kafka, topics, { ...check, secured })
  } catch (error) {
    throw explainKafkaAccess(error, security) ?? error
  }
}
