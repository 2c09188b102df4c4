import { type RecordMetadata, recordMetadataOfValue } from '@mixguard/contracts'
import {
  createIdempotentProducer,
  ensureTopics,
  type Kafka,
  type Producer,
  type TopicSpec,
} from '@mixguard/kafka'
import type { SpoolRecord } from './spool-format.ts'

/**
 * What the publisher needs from Kafka, and nothing more, so it can be tested with a fake and the
 * client could be swapped. `send` resolves only once every record is acknowledged by all in-sync
 * replicas (acks = all).
 */
export interface KafkaLink {
  /** Makes the topics if missing and connects a producer. */
  connect(): Promise<void>
  send(records: readonly SpoolRecord[]): Promise<void>
  /** Drops the producer (after a failure its state may be stale); the next connect makes a new one. */
  reset(): Promise<void>
  close(): Promise<void>
}

export interface KafkaLinkOptions {
  kafka: Kafka
  topics: TopicSpec[]
  /** How long the broker may wait for the in-sync replicas before answering. */
  ackTimeoutMs: number
}

export function createKafkaLink(options: KafkaLinkOptions): KafkaLink {
  const { kafka, topics, ackTimeoutMs } = options
  let producer: Producer | null = null
  // A connect that outlives its caller's timeout must not install its producer after a reset.
  let generation = 0

  const drop = async (): Promise<void> => {
    generation += 1
    const old = producer
    producer = null
    await old?.disconnect().catch(() => {})
  }

  return {
    async connect() {
      if (producer !== null) return
      const mine = generation
      // A broker that came back empty (or a new cluster) has no topics yet, and auto-creation is off.
      await ensureTopics(kafka, topics)
      const fresh = createIdempotentProducer(kafka, {
        // Short retries: the publisher has its own timeout and falls back to the spool.
        retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
      })
      await fresh.connect()
      if (mine !== generation) {
        await fresh.disconnect().catch(() => {})
        throw new Error('the Kafka link was reset while connecting')
      }
      producer = fresh
    },
    async send(records) {
      const current = producer
      if (current === null) throw new Error('kafka producer is not connected')
      const byTopic = new Map<string, ({ key: string | null; value: Buffer } & Partial<RecordMetadata>)[]>()
      for (const r of records) {
        const list = byTopic.get(r.topic) ?? []
        list.push({ key: r.key, value: r.value, ...recordMetadataOfValue(r.value) })
        byTopic.set(r.topic, list)
      }
      await current.sendBatch({
        acks: -1,
        timeout: ackTimeoutMs,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
    },
    reset: drop,
    close: drop,
  }
}
