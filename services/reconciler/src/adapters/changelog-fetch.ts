import type { Kafka } from '@mixguard/kafka'
import { ReconcilerError } from '../errors.ts'

/**
 * Reads partitions of a topic from given offsets up to given last offsets, without a consumer group.
 *
 * kafkajs 2.2.4 (pinned) has no manual assignment: its consumer always joins a group, and a new group's
 * first join waits the broker's `group.initial.rebalance.delay.ms` (3 s by Kafka's default) on every
 * restore. So this sends fetch requests to each partition's leader through kafkajs's own cluster
 * client (same connections, TLS and SASL as the rest), which it keeps under a private symbol. The next
 * fetch is sent before an answer's records are handed over, so the broker reads and sends while this
 * process decodes (and, once a partition is read, rebuilds its state).
 */
export async function fetchPartitions(options: {
  kafka: Kafka
  topic: string
  /** Per partition: the first offset to read and the last one wanted (inclusive). */
  ranges: Map<number, { from: bigint; last: bigint }>
  onRecord: (partition: number, key: Buffer | null, value: Buffer | null) => void
  /** A partition's last wanted record was handed over (the others may still be fetched). */
  onRead?: (partition: number) => void
  /** After an answer's records are handed over: the next answer's wait for it (which is fetched meanwhile). */
  onAnswer?: () => Promise<void>
  /** Bytes per fetch answer (default kafkajs's consumer's, 10 MiB); a partition's first batch comes whole. */
  fetchBytes?: number
}): Promise<void> {
  const { topic, ranges } = options
  if (ranges.size === 0) return
  const cluster = clusterOf(options.kafka)
  await cluster.connect()
  try {
    await cluster.addTargetTopic(topic)
    const leaders = cluster.findLeaderForPartitions(topic, [...ranges.keys()])
    await Promise.all(
      Object.entries(leaders).map(async ([nodeId, partitions]) => {
        const broker = await cluster.findBroker({ nodeId })
        await fetchFromLeader(broker, topic, partitions, ranges, options)
      }),
    )
  } finally {
    await cluster.disconnect()
  }
}

const DEFAULT_FETCH_BYTES = 10 * 1024 * 1024
/** Per partition: more than a record batch can hold (the changelog's max.message.bytes), so one fits whole. */
const MAX_PARTITION_BYTES = 64 * 1024 * 1024
const READ_COMMITTED = 1

async function fetchFromLeader(
  broker: ClusterBroker,
  topic: string,
  partitions: number[],
  ranges: Map<number, { from: bigint; last: bigint }>,
  options: {
    onRecord: (partition: number, key: Buffer | null, value: Buffer | null) => void
    onRead?: (partition: number) => void
    onAnswer?: () => Promise<void>
    fetchBytes?: number
  },
): Promise<void> {
  const next = new Map<number, bigint>()
  for (const p of partitions) {
    const range = ranges.get(p)
    if (range && range.from <= range.last) next.set(p, range.from)
  }
  const request = () => {
    const answer = broker.fetch({
      replicaId: -1,
      isolationLevel: READ_COMMITTED,
      maxWaitTime: 100,
      minBytes: 1,
      maxBytes: options.fetchBytes ?? DEFAULT_FETCH_BYTES,
      topics: [
        {
          topic,
          partitions: [...next].map(([partition, offset]) => ({
            partition,
            fetchOffset: offset.toString(),
            maxBytes: MAX_PARTITION_BYTES,
          })),
        },
      ],
    })
    // Awaited in the next turn; should reading this turn's records throw first, it is not left unhandled.
    answer.catch(() => {})
    return answer
  }
  let pending = next.size > 0 ? request() : null
  while (pending) {
    const answer = await pending
    const records: Array<{ partition: number; messages: FetchedMessage[] }> = []
    const read: number[] = []
    for (const { topicName, partitions: fetched } of answer.responses) {
      if (topicName !== topic) continue
      for (const data of fetched) {
        const from = next.get(data.partition)
        const range = ranges.get(data.partition)
        if (from === undefined || range === undefined) continue
        // A compressed batch may start before the offset asked for; control records are not data (and
        // the changelog is written without transactions, so nothing is aborted).
        const within = data.messages.filter((m) => BigInt(m.offset) >= from)
        const messages = within.filter((m) => !m.isControlRecord && BigInt(m.offset) <= range.last)
        // Past the last record read. Nothing at or after `from` but older records of its batch: the
        // rest of that batch was compacted away, step over it. Nothing at all: the answer was full
        // before this partition's turn, ask again.
        const last = within.at(-1)?.offset
        const after = last !== undefined ? BigInt(last) + 1n : data.messages.length > 0 ? from + 1n : from
        records.push({ partition: data.partition, messages })
        if (after > range.last) {
          next.delete(data.partition)
          read.push(data.partition)
        } else next.set(data.partition, after)
      }
    }
    // Asked before the records are read: the broker works on it meanwhile.
    pending = next.size > 0 ? request() : null
    for (const { partition, messages } of records)
      for (const m of messages) options.onRecord(partition, m.key, m.value)
    for (const partition of read) options.onRead?.(partition)
    await options.onAnswer?.()
  }
}

interface FetchedMessage {
  offset: string
  key: Buffer | null
  value: Buffer | null
  isControlRecord?: boolean
}

interface ClusterBroker {
  fetch(request: {
    replicaId: number
    isolationLevel: number
    maxWaitTime: number
    minBytes: number
    maxBytes: number
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[]
  }): Promise<{
    responses: {
      topicName: string
      partitions: { partition: number; messages: FetchedMessage[] }[]
    }[]
  }>
}

interface Cluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  addTargetTopic(topic: string): Promise<void>
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>
  findBroker(args: { nodeId: string }): Promise<ClusterBroker>
}

/** A new cluster client of `kafka` (kafkajs 2.2.4 keeps the factory under a private symbol). */
function clusterOf(kafka: Kafka): Cluster {
  for (let o: object | null = kafka; o !== null; o = Object.getPrototypeOf(o)) {
    const factory = Object.getOwnPropertySymbols(o).find(
      (s) => s.description === 'private:Kafka:createCluster',
    )
    if (factory !== undefined) {
      const create = (kafka as unknown as Record<symbol, (options: object) => Cluster>)[factory]
      if (typeof create === 'function') return create({ allowAutoTopicCreation: false })
    }
  }
  throw new ReconcilerError('KAFKA_CLIENT_UNSUPPORTED', 'this kafkajs has no cluster client to read with', {
    retryable: false,
  })
}
