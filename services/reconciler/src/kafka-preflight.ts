import { topicName, topicSpecs } from '@mixguard/contracts'
import type { PreflightOptions } from '@mixguard/kafka'
import type { ReconcilerConfig } from './config.ts'

/**
 * The reconciler reads `events` and writes the other four topics. `events` and `reconciler-state` must
 * have the same partition count: partition N of the changelog holds the state of partition N's apps.
 */
export function reconcilerPreflight(config: ReconcilerConfig): PreflightOptions {
  const { topicPrefix: prefix, brokers } = config.kafka
  const { security, topics } = config.kafkaAccess
  return {
    security,
    topics: topicSpecs(prefix, topics),
    create: topics.create,
    samePartitions: [[topicName('events', prefix), topicName('reconciler-state', prefix)]],
    bootstrap: brokers,
  }
}
