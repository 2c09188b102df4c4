import { CompressionTypes, type Kafka, type Producer } from '@mixguard/kafka'
import { retry, systemTimers } from '@mixguard/time'
import type { StateStore, StoredApp } from '../shell-ports.ts'
import { fetchPartitions } from './changelog-fetch.ts'
import {
  ChangelogReader,
  type ChangelogRecord,
  type ChunkedVersion,
  encodeApp,
  type RestorePhases,
} from './state-records.ts'

/** A state record's uncompressed size above which it is split into chunks (see state-records.ts). */
const DEFAULT_CHUNK_BYTES = 1024 * 1024
/** Uncompressed bytes per produce request: one request's batch stays far below the topic's limit. */
const DEFAULT_SEND_BYTES = 8 * 1024 * 1024

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
  /** The stored form of a state, which `parse` reads back (default: the state itself). */
  encode?: (state: S) => unknown
  onSkipped?: (reason: string, key: string | null) => void
  /** After each restore: its time in all, and what of it went to parsing (see RestorePhases). */
  onRestored?: (phases: RestorePhases & { partitions: number[]; ms: number }) => void
  /**
   * How the changelog's batches are compressed (default 'gzip'). 'gzip' stores about a third of the
   * bytes (a state of 1000 tasks: 0.46 MB against 1.5 MB), and every save sends that much less to the
   * broker the decisions share: with 'none', the time-to-stop bench's p50 was 2.4–3.6 times gzip's
   * (369–563 ms against 126–157 ms, alternated runs). 'none' restores quicker: kafkajs gunzips a fetch
   * answer's batches one after another, 16 KB per turn of the thread that also builds the states, which
   * meanwhile waits. 100 apps of 1000 tasks, restored at load 10: that thread's CPU 4.2–5.0 s and
   * 1.0–1.4 s waiting with gzip, 3.4–3.8 s and 0.15–0.26 s without (at load 5, 0.5–1.1 s less in all).
   * A restore reads both.
   */
  compression?: 'none' | 'gzip'
  chunkBytes?: number
  sendBytes?: number
  /** Bytes per fetch answer while restoring (default 10 MiB). */
  fetchBytes?: number
}): StateStore<S> {
  const { kafka, producer, topic, parse, encode = (state: S): unknown => state } = options
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
  const sendBytes = options.sendBytes ?? DEFAULT_SEND_BYTES
  const compression = options.compression === 'none' ? CompressionTypes.None : CompressionTypes.GZIP
  /** Each partition's end offset as this store last left it (after its restore or its own write). */
  const ends = new Map<number, bigint>()
  /** The chunked version each chunked app is stored under, so a new save can tombstone it. */
  const chunked = new Map<number, ChunkedVersion>()

  async function restore(partitions: number[]): Promise<Map<number, Map<number, StoredApp<S>>>> {
    const began = performance.now()
    const readers = new Map(partitions.map((p) => [p, new ChangelogReader<S>(parse, skipped)]))
    const phases: RestorePhases = { bytes: 0, jsonMs: 0, stateMs: 0 }
    const offsets = await partitionEnds(kafka, topic)
    const ranges = new Map<number, { from: bigint; last: bigint }>()
    for (const p of partitions) {
      const end = offsets.get(p)
      ends.set(p, end?.high ?? 0n)
      if (end && end.high > end.low) ranges.set(p, { from: end.low, last: end.high - 1n })
    }
    // A partition's apps are rebuilt (its chunked states parsed) as soon as it is read, while the
    // others are still fetched; only its latest version of each app is parsed.
    const read = new Map<number, ReturnType<ChangelogReader<S>['finish']>>()
    const finish = (p: number) => {
      const reader = readers.get(p)
      const done = read.get(p) ?? reader?.finish()
      if (done) read.set(p, done)
      if (reader) for (const k of ['bytes', 'jsonMs', 'stateMs'] as const) phases[k] += reader.phases[k]
      readers.delete(p) // and with it the chunks' bytes
      return done
    }
    await fetchPartitions({
      kafka,
      topic,
      ranges,
      onRecord: (partition, key, value) => readers.get(partition)?.add(key, value),
      onRead: finish,
      fetchBytes: options.fetchBytes,
    })
    const apps = new Map<number, Map<number, StoredApp<S>>>()
    for (const p of partitions) {
      const done = finish(p)
      if (!done) continue
      for (const appId of done.apps.keys()) chunked.delete(appId)
      for (const [appId, version] of done.chunked) chunked.set(appId, version)
      apps.set(p, done.apps)
    }
    options.onRestored?.({ partitions, ms: performance.now() - began, ...phases })
    return apps
  }

  function skipped(reason: string, key: string | null): void {
    options.onSkipped?.(reason, key)
  }

  async function save(partition: number, apps: StoredApp<S>[]): Promise<void> {
    if (apps.length === 0) return
    const records: ChangelogRecord[] = []
    const versions = new Map<number, ChunkedVersion | undefined>()
    for (const app of apps) {
      const encoded = encodeApp({ ...app, state: encode(app.state) }, chunkBytes, chunked.get(app.appId))
      records.push(...encoded.records)
      versions.set(app.appId, encoded.chunked)
    }
    // In order, one request at a time: an app's chunks land before its manifest.
    for (const group of bySize(records, sendBytes)) {
      const [written] = await producer.send({
        topic,
        acks: -1,
        compression,
        messages: group.map((r) => ({ key: r.key, value: r.value, partition })),
      })
      if (written) ends.set(partition, BigInt(written.baseOffset ?? '0') + BigInt(group.length))
    }
    for (const [appId, version] of versions) {
      if (version) chunked.set(appId, version)
      else chunked.delete(appId)
    }
  }

  async function unchanged(partitions: number[]): Promise<Set<number>> {
    const offsets = await partitionEnds(kafka, topic)
    return new Set(partitions.filter((p) => ends.has(p) && ends.get(p) === (offsets.get(p)?.high ?? 0n)))
  }

  return { restore, save, unchanged }
}

/** Consecutive groups of records of at most `limit` value bytes (a larger record goes alone). */
function bySize(records: ChangelogRecord[], limit: number): ChangelogRecord[][] {
  const groups: ChangelogRecord[][] = []
  let current: ChangelogRecord[] = []
  let size = 0
  for (const record of records) {
    const bytes = (record.value?.length ?? 0) + record.key.length
    if (current.length > 0 && size + bytes > limit) {
      groups.push(current)
      current = []
      size = 0
    }
    current.push(record)
    size += bytes
  }
  if (current.length > 0) groups.push(current)
  return groups
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
    const offsets = await retry(() => admin.fetchTopicOffsets(topic), {
      attempts: 30,
      baseDelayMs: 50,
      maxDelayMs: 1_000,
      jitter: 'none',
      timers: systemTimers,
      // kafkajs spells it `retriable`.
      retryable: (error) => (error as { retriable?: boolean }).retriable === true,
    })
    return new Map(offsets.map((o) => [o.partition, { low: BigInt(o.low), high: BigInt(o.high) }]))
  } finally {
    await admin.disconnect()
  }
}
