import { randomUUID } from 'node:crypto'
import type { Kafka } from '@mixguard/kafka'
import { retry, systemTimers } from '@mixguard/time'

/** One record as read, with what the tools need besides the value. */
export interface RawRecord {
  topic: string
  partition: number
  offset: string
  key: string | null
  value: Buffer | null
  /** The record timestamp (epoch ms): the business time for values written with record metadata. */
  timestamp: number
  headers: Record<string, string>
}

/**
 * Every record of `topics` from the earliest retained offset up to the end as it was when the read
 * began (records landing during the read are left for the next one). kafkajs has no manual
 * assignment: a throwaway group that never commits reads, and is deleted afterwards.
 */
export async function readTopics(kafka: Kafka, topics: readonly string[]): Promise<RawRecord[]> {
  const admin = kafka.admin()
  await admin.connect()
  const remaining = new Map<string, bigint>()
  try {
    for (const topic of topics) {
      for (const end of await topicEnds(admin, topic)) {
        if (BigInt(end.high) > BigInt(end.low))
          remaining.set(`${topic}:${end.partition}`, BigInt(end.high) - 1n)
      }
    }
  } finally {
    await admin.disconnect()
  }
  const records: RawRecord[] = []
  if (remaining.size === 0) return records
  const groupId = `mixguard-ops-${randomUUID()}`
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100, maxBytesPerPartition: 16 * 1024 * 1024 })
  await consumer.connect()
  try {
    await consumer.subscribe({ topics: [...topics], fromBeginning: true })
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const slot = `${batch.topic}:${batch.partition}`
            const last = remaining.get(slot)
            if (last === undefined) return
            for (const message of batch.messages) {
              if (BigInt(message.offset) > last) break
              records.push(toRaw(batch.topic, batch.partition, message))
              if (BigInt(message.offset) >= last) remaining.delete(slot)
            }
            if (remaining.size === 0) resolve()
          },
        })
        .catch(reject)
    })
  } finally {
    await consumer.disconnect()
    await deleteGroup(kafka, groupId)
  }
  return records
}

type Admin = ReturnType<Kafka['admin']>

/**
 * A topic's partition ends. Right after a topic is made, a broker may still answer "not the leader"
 * from stale metadata: refresh it and ask again, a few times, before giving up.
 */
function topicEnds(admin: Admin, topic: string, attempts = 6) {
  return retry(() => admin.fetchTopicOffsets(topic), {
    attempts,
    baseDelayMs: 100,
    maxDelayMs: 800,
    jitter: 'none',
    timers: systemTimers,
    // kafkajs spells it `retriable`.
    retryable: (error) => (error as { retriable?: boolean }).retriable === true,
    onRetry: async () => {
      await admin.fetchTopicMetadata({ topics: [topic] })
    },
  })
}

/** Follows `topics` from their end (or from the start) until stopped: `tail`. */
export async function followTopics(
  kafka: Kafka,
  topics: readonly string[],
  onRecord: (record: RawRecord) => void,
  options: { fromBeginning: boolean },
): Promise<{ stop(): Promise<void> }> {
  const groupId = `mixguard-tail-${randomUUID()}`
  const consumer = kafka.consumer({ groupId, maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topics: [...topics], fromBeginning: options.fromBeginning })
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ topic, partition, message }) => onRecord(toRaw(topic, partition, message)),
  })
  return {
    async stop() {
      await consumer.disconnect()
      await deleteGroup(kafka, groupId)
    },
  }
}

type Message = {
  offset: string
  key: Buffer | null
  value: Buffer | null
  timestamp: string
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}

function toRaw(topic: string, partition: number, message: Message): RawRecord {
  const headers: Record<string, string> = {}
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    const first = Array.isArray(value) ? value[0] : value
    if (first !== undefined) headers[name] = first.toString()
  }
  return {
    topic,
    partition,
    offset: message.offset,
    key: message.key?.toString('utf8') ?? null,
    value: message.value,
    timestamp: Number(message.timestamp),
    headers,
  }
}

async function deleteGroup(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin()
  try {
    await admin.connect()
    await admin.deleteGroups([groupId])
  } catch {
    // A group that never committed may already be gone; a leftover empty group expires on its own.
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
