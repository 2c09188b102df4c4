import type { StreamRecord } from './model.ts'
import { bucketOf, sizeOf, type Table } from './table.ts'

/**
 * Which streams may be in a room, found without reading every stream of the app: a stream can only be
 * in a room that one of its facts or its observation names (roomOf), so the streams naming a room are
 * a superset of those in it, and the caller keeps those whose roomOf is the room.
 *
 * A memo, not state: an index of room → streams naming it, describing one stream table at a time and
 * moved to the next as decide() copies the table on write. A table shares every bucket its draft did
 * not write with the table it was copied from, so moving the index re-reads only the buckets that
 * differ: an input costs the buckets it wrote, not the app's streams. A bucket its draft may still
 * write is re-read after it was written (draft.ts writableStream and removeRecord call streamWritten).
 */
interface RoomIndex {
  /** The table it describes now. */
  table: Table<StreamRecord> | null
  /** A stream of `table` was written since the index moved to it. */
  stale: boolean
  /** Per bucket name: the bucket read, and the rooms each of its streams named then. */
  read: Map<string, { bucket: object; named: Map<string, string[]> }>
  /** Room → the streams naming it (each in exactly one bucket). */
  byRoom: Map<string, Set<string>>
}

/** The index last moved to a table, and the index that last read a bucket (to find a table's parent's). */
const ofTable = new WeakMap<object, RoomIndex>()
const ofBucket = new WeakMap<object, RoomIndex>()
/** Buckets a draft wrote in place after an index may have read them. */
const written = new WeakSet<object>()

function namedBy(stream: StreamRecord): string[] {
  const named = new Set<string>()
  if (stream.observed?.roomId != null) named.add(stream.observed.roomId)
  for (const fact of Object.values(stream.facts)) named.add(fact.roomId)
  return [...named]
}

function unread(index: RoomIndex, name: string): void {
  const before = index.read.get(name)
  if (before === undefined) return
  for (const [streamId, rooms] of before.named)
    for (const roomId of rooms) {
      const set = index.byRoom.get(roomId)
      set?.delete(streamId)
      if (set?.size === 0) index.byRoom.delete(roomId)
    }
  index.read.delete(name)
}

function readBucket(index: RoomIndex, name: string, bucket: Record<string, StreamRecord>): void {
  const named = new Map<string, string[]>()
  for (const streamId in bucket) {
    const rooms = namedBy(bucket[streamId] as StreamRecord)
    named.set(streamId, rooms)
    for (const roomId of rooms) {
      const set = index.byRoom.get(roomId)
      if (set === undefined) index.byRoom.set(roomId, new Set([streamId]))
      else set.add(streamId)
    }
  }
  index.read.set(name, { bucket, named })
  ofBucket.set(bucket, index)
}

/** Makes the index describe `table`, re-reading the buckets that differ from those it read or were written since. */
function moveTo(index: RoomIndex, table: Table<StreamRecord>): void {
  for (const name in table) {
    const bucket = table[name]
    const before = index.read.get(name)
    if (bucket === undefined ? before === undefined : before?.bucket === bucket && !written.has(bucket))
      continue
    unread(index, name)
    if (bucket === undefined) continue
    written.delete(bucket)
    readBucket(index, name, bucket)
  }
  index.table = table
  index.stale = false
  ofTable.set(table, index)
}

function indexOf(table: Table<StreamRecord>): RoomIndex {
  let index = ofTable.get(table)
  if (index === undefined)
    for (const name in table) {
      const bucket = table[name]
      index = bucket === undefined ? undefined : ofBucket.get(bucket)
      if (index !== undefined) break
    }
  // An index of a table with more buckets than this one would keep the buckets this one has not.
  if (index === undefined || (index.table !== null && sizeOf(index.table) > sizeOf(table)))
    index = { table: null, stale: false, read: new Map(), byRoom: new Map() }
  if (index.table !== table || index.stale) moveTo(index, table)
  return index
}

/** The ids of the streams of `streams` whose facts or observation name `roomId` (unordered). */
export function streamsNaming(streams: Table<StreamRecord>, roomId: string): string[] {
  return [...(indexOf(streams).byRoom.get(roomId) ?? [])]
}

/**
 * The records of the streams of `streams` whose facts or observation name `roomId`, in the table's
 * order (tvalues'): an answer that writes them in this order writes them as a scan of every stream did.
 */
export function streamsNamingInOrder(streams: Table<StreamRecord>, roomId: string): StreamRecord[] {
  const ids = indexOf(streams).byRoom.get(roomId)
  if (ids === undefined) return []
  const names = new Set<string>()
  const size = sizeOf(streams)
  for (const streamId of ids) names.add(bucketOf(streamId, size))
  const records: StreamRecord[] = []
  for (const name in streams) {
    const bucket = streams[name]
    if (bucket === undefined || !names.has(name)) continue
    for (const streamId in bucket) if (ids.has(streamId)) records.push(bucket[streamId] as StreamRecord)
  }
  return records
}

/** A stream of this table is being written, in place, by its draft: an index reads its bucket again. */
export function streamWritten(streams: Table<StreamRecord>, streamId: string): void {
  const bucket = streams[bucketOf(streamId, sizeOf(streams))]
  if (bucket !== undefined) written.add(bucket)
  const index = ofTable.get(streams)
  if (index !== undefined) index.stale = true
}
