import { CompressionTypes, type Kafka, type Producer } from '@mixguard/kafka'
import { retry, runInSlices, systemTimers } from '@mixguard/time'
import type { StateStore, StoredApp } from '../shell-ports.ts'
import { fetchPartitions } from './changelog-fetch.ts'
import {
  ChangelogReader,
  type ChangelogRecord,
  type ChunkedVersion,
  encodeApp,
  type RestorePhases,
  SLICE_MS,
} from './state-records.ts'

export type StateCompression = 'zstd' | 'gzip' | 'none'

/** A state record's size as stored (compressed or not) above which it is split into chunks (see state-records.ts). */
const DEFAULT_CHUNK_BYTES = 1024 * 1024
/** Uncompressed bytes per produce request: one request's batch stays far below the topic's limit. */
const DEFAULT_SEND_BYTES = 8 * 1024 * 1024
/** A stored form made in one go, as steps (the store still writes its JSON in slices). */
export function inOneStep<S>(encode: (state: S) => unknown): (state: S) => Iterator<void, unknown, void> {
  return (state) => ({ next: () => ({ done: true, value: encode(state) }) })
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
  /**
   * The stored form of a state, which `parse` reads back (default: the state itself), made in steps:
   * the store lets the event loop in between them (SLICE_MS).
   */
  encode?: (state: S) => Iterator<void, unknown, void>
  onSkipped?: (reason: string, key: string | null) => void
  /** After each restore: its time in all, and what of it went to parsing (see RestorePhases). */
  onRestored?: (phases: RestorePhases & { partitions: number[]; ms: number }) => void
  /**
   * How the changelog is compressed (default 'zstd'):
   * - 'zstd': the store compresses each state record's value itself (state-compression.ts), in the
   *   threadpool, and sends the batches uncompressed. A restore then decompresses several records at once
   *   in the threadpool while its thread builds states. 'gzip' batches have kafkajs gunzip a fetch
   *   answer's batches one after another, 16 KB per turn of that thread, which meanwhile waits (100 apps
   *   of 1000 tasks: 9.1 s to ready against 5.95 s uncompressed, quiet machine). With zstd that restore
   *   took 2.2-4.1 s less CPU than gzip's, at or below uncompressed (alternated runs, loaded machine). A
   *   state of 1000 tasks is 0.42 MB as zstd, 0.47 MB in a gzip batch, 1.5 MB uncompressed; zstd
   *   compresses it in ~10 ms, kafkajs's gzip in ~120 ms.
   * - 'gzip': kafkajs gzips each batch: what versions before 'zstd' wrote and what they read (set it,
   *   and let every app save once, before rolling back to such a version).
   * - 'none': three times the bytes; with it the time-to-stop bench's p50 was 2.4-3.6 times gzip's (saves
   *   send that much more to the broker the decisions share).
   * A restore reads all three, in any mix.
   */
  compression?: StateCompression
  chunkBytes?: number
  sendBytes?: number
  /** Bytes per fetch answer while restoring (default 10 MiB). */
  fetchBytes?: number
}): StateStore<S> {
  const { kafka, producer, topic, parse, encode = inOneStep((state: S) => state) } = options
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES
  const sendBytes = options.sendBytes ?? DEFAULT_SEND_BYTES
  const compressRecords = (options.compression ?? 'zstd') === 'zstd'
  const compression = options.compression === 'gzip' ? CompressionTypes.GZIP : CompressionTypes.None
  /** Each partition's end offset as this store last left it (after its restore or its own write). */
  const ends = new Map<number, bigint>()
  /** The chunked version each chunked app is stored under, so a new save can tombstone it. */
  const chunked = new Map<number, ChunkedVersion>()

  async function restore(partitions: number[]): Promise<Map<number, Map<number, StoredApp<S>>>> {
    const began = performance.now()
    const readers = new Map(partitions.map((p) => [p, new ChangelogReader<S>(parse, skipped)]))
    const phases: RestorePhases = { bytes: 0, jsonBytes: 0, jsonMs: 0, stateMs: 0 }
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
      if (!reader || read.has(p)) return
      const done = reader.finish()
      done.catch(() => {}) // reported where it is awaited, below
      read.set(p, done)
    }
    await fetchPartitions({
      kafka,
      topic,
      ranges,
      onRecord: (partition, key, value) => readers.get(partition)?.add(key, value),
      onRead: finish,
      // An answer's records are applied before the next answer's are handed over (it is fetched
      // meanwhile): at most one answer's states wait decompressed.
      onAnswer: async () => {
        await Promise.all([...readers.values()].map((r) => r.applied()))
      },
      fetchBytes: options.fetchBytes,
    })
    const apps = new Map<number, Map<number, StoredApp<S>>>()
    for (const [p, reader] of readers) {
      finish(p)
      const done = await read.get(p)
      if (!done) continue
      for (const k of ['bytes', 'jsonBytes', 'jsonMs', 'stateMs'] as const) phases[k] += reader.phases[k]
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

  async function save(partition: number, apps: StoredApp<S>[], beforeWrite?: () => void): Promise<void> {
    if (apps.length === 0) return
    const records: ChangelogRecord[] = []
    const versions = new Map<number, ChunkedVersion | undefined>()
    for (const app of apps) {
      const encoded = await encodeApp(
        { ...app, state: await runInSlices(encode(app.state), SLICE_MS) },
        chunkBytes,
        chunked.get(app.appId),
        compressRecords,
      )
      records.push(...encoded.records)
      versions.set(app.appId, encoded.chunked)
    }
    beforeWrite?.()
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
