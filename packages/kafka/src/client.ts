import { Kafka, type KafkaConfig, logLevel, Partitioners, type Producer, type ProducerConfig } from 'kafkajs'

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
 */
export function createIdempotentProducer(
  kafka: Kafka,
  config: Omit<ProducerConfig, 'idempotent'> = {},
): Producer {
  return kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    idempotent: true,
    maxInFlightRequests: 1,
    ...config,
  })
}

export interface TopicSpec {
  name: string
  partitions: number
  /** Broker-side topic config, e.g. [{ name: 'cleanup.policy', value: 'compact' }]. */
  configEntries?: { name: string; value: string }[]
}

/** Creates the topics that do not exist yet and waits for their leaders. Existing topics are left as they are. */
export async function ensureTopics(kafka: Kafka, topics: TopicSpec[]): Promise<void> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const missing = topics.filter((t) => !existing.has(t.name))
    if (missing.length === 0) return
    await admin.createTopics({
      waitForLeaders: true,
      topics: missing.map((t) => ({
        topic: t.name,
        numPartitions: t.partitions,
        replicationFactor: -1,
        configEntries: t.configEntries ?? [],
      })),
    })
  } finally {
    await admin.disconnect()
  }
}
