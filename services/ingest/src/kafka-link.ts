import { type RecordMetadata, recordMetadataOfValue } from '@mixguard/contracts'
import {
  createIdempotentProducer,
  ensureTopics,
  type Kafka,
  type Producer,
  type TopicSpec,
} from '@mixguard/kafka'
import { IngestError } from './errors.ts'
import type { SpoolRecord } from './spool-format.ts'

/**
 * What the publisher needs from Kafka, and nothing more, so it can be tested with a fake and the
 * client could be swapped. `send` resolves only once every record is acknowledged by all in-sync
 * replicas (acks = all).
 */
export interface KafkaLink {
  /** Makes the topics if missing and connects a producer. */
  connect(): Promise<void>
  /**
   * Rejects with RECORD_REJECTED when Kafka refused a record of the batch for what it is (too large,
   * invalid): sending the same batch again can never succeed. Any other rejection is about Kafka's
   * state (down, slow, leaders moving) and may pass later. After a rejection, part of the batch (other
   * partitions) may be on Kafka already.
   */
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

/**
 * Broker error types that refuse the records themselves (kafkajs `KafkaJSProtocolError.type`). The
 * rest (not leader, timeouts, connection errors, ...) is about the cluster's state.
 */
const PERMANENT_TYPES = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
])

/** The permanent broker error type in `error` or its causes (kafkajs wraps errors in retry errors). */
export function permanentErrorType(error: unknown): string | null {
  let at: unknown = error
  for (let depth = 0; depth < 8 && typeof at === 'object' && at !== null; depth += 1) {
    const { type, cause, originalError } = at as { type?: unknown; cause?: unknown; originalError?: unknown }
    if (typeof type === 'string' && PERMANENT_TYPES.has(type)) return type
    at = cause ?? originalError
  }
  return null
}

export function createKafkaLink(options: KafkaLinkOptions): KafkaLink {
  const { kafka, topics, ackTimeoutMs } = options
  let producer: Producer | null = null
  // A connect that outlives its caller's timeout must not install its producer after a reset.
  let generation = 0
  // After a rejection the producer's sequence numbers may be behind what the broker stored for the
  // other partitions of the batch (kafkajs rolls back the whole request), and a later batch could be
  // taken for a duplicate and dropped: the next send gets a new producer, with a new producer id.
  let stale = false

  const drop = async (): Promise<void> => {
    generation += 1
    stale = false
    const old = producer
    producer = null
    await old?.disconnect().catch(() => {})
  }

  const connectProducer = async (): Promise<Producer> => {
    const mine = generation
    const fresh = createIdempotentProducer(kafka, {
      // Short retries: the publisher has its own timeout and falls back to the spool.
      retry: { retries: 3, initialRetryTime: 100, maxRetryTime: 1_000 },
    })
    await fresh.connect()
    if (mine !== generation) {
      await fresh.disconnect().catch(() => {})
      throw new IngestError('KAFKA_NOT_CONNECTED', 'the Kafka link was reset while connecting', {
        retryable: true,
      })
    }
    producer = fresh
    return fresh
  }

  return {
    async connect() {
      if (producer !== null) return
      // A broker that came back empty (or a new cluster) has no topics yet, and auto-creation is off.
      await ensureTopics(kafka, topics)
      await connectProducer()
    },
    async send(records) {
      if (stale) {
        await drop()
        await connectProducer()
      }
      const current = producer
      if (current === null)
        throw new IngestError('KAFKA_NOT_CONNECTED', 'kafka producer is not connected', { retryable: true })
      const byTopic = new Map<string, ({ key: string | null; value: Buffer } & Partial<RecordMetadata>)[]>()
      for (const r of records) {
        const list = byTopic.get(r.topic) ?? []
        list.push({ key: r.key, value: r.value, ...(r.metadata ?? recordMetadataOfValue(r.value)) })
        byTopic.set(r.topic, list)
      }
      try {
        await current.sendBatch({
          acks: -1,
          timeout: ackTimeoutMs,
          topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
        })
      } catch (error) {
        const type = permanentErrorType(error)
        if (type === null) throw error
        stale = true
        throw new IngestError('RECORD_REJECTED', `Kafka refused the batch: ${type}`, {
          retryable: false,
          cause: error,
        })
      }
    },
    reset: drop,
    close: drop,
  }
}
