import { randomUUID } from 'node:crypto'
import { appKey } from '@mixguard/contracts'
import { CompressionTypes, type Kafka, type Producer } from '@mixguard/kafka'

/**
 * One app's state as it sits on the compacted changelog: the core's state plus the offset of the
 * last event applied to it, so that events replayed after a crash (state saved, offsets not yet
 * committed) are recognised and skipped.
 */
export interface StoredApp<S> {
  appId: number
  /** Offset (decimal string) of the last events-topic record applied to this app; null: none yet. */
  appliedOffset: string | null
  state: S
}

interface Envelope<S> extends StoredApp<S> {
  v: 1
}

export interface StateStore<S> {
  /** Every app stored in `partitions` of the changelog, read to its end: partition → appId → app. */
  restore(partitions: number[]): Promise<Map<number, Map<number, StoredApp<S>>>>
  /** Writes apps to the changelog partition that matches their events partition; resolves once acked by all replicas. */
  save(partition: number, apps: StoredApp<S>[]): Promise<void>
}

/**
 * The changelog is keyed by AppId and has as many partitions as the events topic; each app's state is
 * written to the partition its events come from, so restoring partition N of both gives one consistent set.
 */
export function createKafkaStateStore<S>(options: {
  kafka: Kafka
  producer: Producer
  topic: string
  /** Parses a stored state; returns null for a record that cannot be used (it is then skipped). */
  parse: (value: unknown) => S | null
  onSkipped?: (reason: string, appId: string | null) => void
}): StateStore<S> {
  const { kafka, producer, topic, parse } = options

  async function restore(partitions: number[]): Promise<Map<number, Map<number, StoredApp<S>>>> {
    const apps = new Map(partitions.map((p) => [p, new Map<number, StoredApp<S>>()]))
    const ends = await partitionEnds(kafka, topic)
    const wanted = new Map<number, bigint>()
    for (const p of partitions) {
      const end = ends.get(p)
      if (end && end.high > end.low) wanted.set(p, end.high - 1n)
    }
    if (wanted.size === 0) return apps

    // kafkajs has no manual assignment: a throwaway group that never commits reads the changelog,
    // ignores the partitions that are not ours, and stops once each of ours reached its end.
    const consumer = kafka.consumer({
      groupId: `mixguard-restore-${randomUUID()}`,
      maxWaitTimeInMs: 100,
      maxBytesPerPartition: 64 * 1024 * 1024,
    })
    await consumer.connect()
    try {
      await consumer.subscribe({ topic, fromBeginning: true })
      await new Promise<void>((resolve, reject) => {
        const remaining = new Set(wanted.keys())
        consumer
          .run({
            autoCommit: false,
            eachBatch: async ({ batch }) => {
              const last = wanted.get(batch.partition)
              const into = apps.get(batch.partition)
              if (last === undefined || into === undefined) return
              for (const message of batch.messages) {
                const record = decode<S>(message.value, parse)
                if (record.ok) into.set(record.app.appId, record.app)
                else options.onSkipped?.(record.reason, message.key ? String(message.key) : null)
                if (BigInt(message.offset) >= last) remaining.delete(batch.partition)
              }
              if (remaining.size === 0) resolve()
            },
          })
          .catch(reject)
      })
    } finally {
      await consumer.disconnect()
    }
    return apps
  }

  async function save(partition: number, apps: StoredApp<S>[]): Promise<void> {
    if (apps.length === 0) return
    // gzip: a state is JSON with many repeated keys, and compresses about tenfold.
    await producer.send({
      topic,
      acks: -1,
      compression: CompressionTypes.GZIP,
      messages: apps.map((app) => ({
        key: appKey(app.appId),
        partition,
        value: JSON.stringify({ v: 1, ...app } satisfies Envelope<S>),
      })),
    })
  }

  return { restore, save }
}

/**
 * Low and high offsets of every partition. A topic created a moment ago may still answer "not the
 * leader" while its leadership settles (KRaft), so retriable errors are retried for a few seconds.
 */
async function partitionEnds(
  kafka: Kafka,
  topic: string,
): Promise<Map<number, { low: bigint; high: bigint }>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = await admin.fetchTopicOffsets(topic)
        return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]))
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable !== true || attempt >= 30) throw error
        await new Promise((resolve) => setTimeout(resolve, Math.min(1_000, 50 * attempt)))
      }
    }
  } finally {
    await admin.disconnect()
  }
}

function decode<S>(
  value: Buffer | null,
  parse: (value: unknown) => S | null,
): { ok: true; app: StoredApp<S> } | { ok: false; reason: string } {
  if (value === null) return { ok: false, reason: 'tombstone' }
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch {
    return { ok: false, reason: 'not JSON' }
  }
  const envelope = json as Partial<Envelope<unknown>>
  if (envelope.v !== 1 || typeof envelope.appId !== 'number')
    return { ok: false, reason: 'not a v1 state record' }
  const state = parse(envelope.state)
  if (state === null) return { ok: false, reason: 'state does not parse' }
  return { ok: true, app: { appId: envelope.appId, appliedOffset: envelope.appliedOffset ?? null, state } }
}
