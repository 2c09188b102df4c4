import { topicName, topicSpecs } from '@mixguard/contracts'
import { type Kafka, KafkaAccessError, preflightKafka, TopicCheckError } from '@mixguard/kafka'
import type { IngestConfig } from './config.ts'

/** Ingest writes `events` and `dead-letter`, and nothing else. */
export function ingestTopics(config: IngestConfig) {
  const prefix = config.kafka.topicPrefix
  const wanted = new Set([topicName('events', prefix), topicName('dead-letter', prefix)])
  return topicSpecs(prefix, config.kafkaAccess.topics).filter((t) => wanted.has(t.name))
}

/**
 * Ingest serves from its spool while Kafka is away, so an unreachable cluster at start is only a
 * warning (`checked: false`). Credentials, certificates, ACLs and unusable topics do not heal by
 * waiting: those errors are thrown and ingest does not start.
 */
export async function ingestPreflight(
  kafka: Kafka,
  config: IngestConfig,
): Promise<{ checked: true; warnings: string[] } | { checked: false; error: unknown }> {
  try {
    const { warnings } = await preflightKafka(kafka, {
      security: config.kafkaAccess.security,
      topics: ingestTopics(config),
      create: config.kafkaAccess.topics.create,
      bootstrap: config.kafka.brokers,
    })
    return { checked: true, warnings }
  } catch (error) {
    if (error instanceof KafkaAccessError || error instanceof TopicCheckError) throw error
    return { checked: false, error }
  }
}
