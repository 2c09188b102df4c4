import { retry, systemTimers } from '@mixguard/time'
import { Kafka, type KafkaConfig, logLevel, type Producer, type ProducerConfig } from 'kafkajs'
import { KafkaSetupError } from './errors.ts'
import { KeyedPartitioner } from './keyed-partitioner.ts'
import { type KafkaSecurity, kafkajsSecurity } from './security.ts'

export type KafkaLogLevel = 'error' | 'warn' | 'info' | 'debug'
export type KafkaLogSink = (level: KafkaLogLevel, message: string, fields: Record<string, unknown>) => void

export interface KafkaClientOptions {
  brokers: string[]
  clientId: string
  /** Where kafkajs's own log lines go (default: nowhere). Services pass their pino logger here. */
  log?: KafkaLogSink
  /** kafkajs retry settings for connections and requests. */
  retry?: KafkaConfig['retry']
  connectionTimeoutMs?: number
  requestTimeoutMs?: number
  /** TLS and SASL for a secured cluster; default plaintext. */
  security?: KafkaSecurity
}

const levels: Record<number, KafkaLogLevel> = {
  [logLevel.ERROR]: 'error',
  [logLevel.WARN]: 'warn',
  [logLevel.INFO]: 'info',
  [logLevel.DEBUG]: 'debug',
}

/** A kafkajs client with Mixguard's defaults; the only place that constructs one. */
export function createKafka(options: KafkaClientOptions): Kafka {
  const { log } = options
  return new Kafka({
    brokers: options.brokers,
    clientId: options.clientId,
    ...(options.security ? kafkajsSecurity(options.security) : {}),
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 30_000,
    ...(options.retry ? { retry: options.retry } : {}),
    logLevel: log ? logLevel.INFO : logLevel.NOTHING,
    logCreator: () => (entry) => {
      const { message, ...fields } = entry.log
      log?.(levels[entry.level] ?? 'info', message, { namespace: entry.namespace, ...fields })
    },
  })
}

/**
 * An idempotent producer with acks = all semantics (kafkajs sends acks -1 by default, and idempotence
 * requires at most one request in flight per connection to keep per-partition order on retries).
 * Records go to the partitions kafkajs's default partitioner gives (KeyedPartitioner remembers them).
 */
export function createIdempotentProducer(
  kafka: Kafka,
  config: Omit<ProducerConfig, 'idempotent'> = {},
): Producer {
  return kafka.producer({
    createPartitioner: KeyedPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    ...config,
  })
}

export interface TopicSpec {
  name: string
  partitions: number
  /** -1 (the default): the cluster's `default.replication.factor`. */
  replicationFactor?: number
  /** Broker-side topic config, e.g. [{ name: 'cleanup.policy', value: 'compact' }]. */
  configEntries?: { name: string; value: string }[]
}

/**
 * Creates the topics that do not exist yet and waits until every partition of every named topic has a
 * leader. Existing topics are left as they are; two processes creating the same topics at once is fine.
 */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[], timeoutMs = 30_000): Promise<void> {
  // Nothing to ensure (the operator manages the topics): no admin connection either.
  if (topics.length === 0) return
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t.name))
    if (missing.length > 0) {
      // kafkajs's own waitForLeaders gives up on the UNKNOWN_TOPIC_OR_PARTITION a new topic answers at first.
      await admin.createTopics({
        waitForLeaders: false,
        topics: missing.map((t) => ({
          topic: t.name,
          numPartitions: t.partitions,
          replicationFactor: t.replicationFactor ?? -1,
          configEntries: t.configEntries ?? [],
        })),
      })
    }
    const deadline = Date.now() + timeoutMs
    const names = topics.map((t) => t.name)
    await retry(
      async () => {
        const ready = await admin
          .fetchTopicMetadata({ topics: names })
          .then((m) =>
            m.topics.every((t) => t.partitions.length > 0 && t.partitions.every((p) => p.leader >= 0)),
          )
          .catch(() => false)
        if (!ready)
          throw new KafkaSetupError(
            'KAFKA_TOPICS_NOT_READY',
            `topics without leaders after ${timeoutMs} ms: ${names.join(', ')}`,
            { retryable: true },
          )
      },
      {
        attempts: Number.POSITIVE_INFINITY,
        baseDelayMs: 50,
        maxDelayMs: 50,
        jitter: 'none',
        timers: systemTimers,
        retryable: () => Date.now() <= deadline,
      },
    )
  } finally {
    await admin.disconnect()
  }
}
