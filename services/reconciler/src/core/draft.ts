import type { AppState, RoomRecord, StreamRecord, TaskRecord } from './model.ts'
import { streamWritten } from './room-candidates.ts'
import { bucketOf, type Table, tget } from './table.ts'
import { keepIndex, readersOf, reindex, type TaskIndex, takeIndex } from './task-index.ts'

type TableName = 'streams' | 'tasks' | 'rooms'

/**
 * Copy-on-write over one AppState, so decide() never mutates the state it was given (a shell can keep
 * the old state if writing the decisions fails, and a test can decide twice from one state). A table's
 * top level and the bucket are copied the first time a record in them is written, the record the
 * first time it is written. The draft also remembers what was written, so only the tasks that can be
 * affected are re-evaluated.
 */
export interface Draft {
  state: AppState
  /** The tables, buckets and records this draft copied, which it may write. */
  owned: WeakSet<object>
  /** `roomStreams`: rooms whose stream set alone changed (a stream callback), not their lists, checks or closes. */
  touched: {
    streams: Set<string>
    tasks: Set<string>
    rooms: Set<string>
    roomStreams: Set<string>
    everything: boolean
  }
  /** The task index of the state (task-index.ts), brought up to date by taskReaders() and closeDraft(). */
  index: TaskIndex
}

export function openDraft(state: AppState): Draft {
  return {
    state: { ...state },
    owned: new WeakSet(),
    touched: {
      streams: new Set(),
      tasks: new Set(),
      rooms: new Set(),
      roomStreams: new Set(),
      everything: false,
    },
    index: takeIndex(state.tasks),
  }
}

/** The tasks of the draft reading any of `keys` (task-index.ts). */
export function taskReaders(d: Draft, keys: Iterable<string>): Set<string> {
  reindex(d.index, d.state.tasks, d.touched.tasks)
  return readersOf(d.index, keys)
}

/** The draft's state is final: its task index stays with its task map. */
export function closeDraft(d: Draft): AppState {
  reindex(d.index, d.state.tasks, d.touched.tasks)
  keepIndex(d.state.tasks, d.index)
  return d.state
}

/** V8 keeps an object of up to about this many keys added one by one in fast mode, above as a dictionary. */
const FAST_KEYS = 12

/**
 * A shallow copy of a bucket, in the same key order. Object.assign copies a small bucket (a fast
 * object) several times faster than a loop or a spread, buckets having as many shapes as key sets; a
 * large one, which V8 keeps as a dictionary, is copied key by key, several times faster than by either.
 */
function copyBucket<T>(bucket: Record<string, T>): Record<string, T> {
  const keys = Object.keys(bucket)
  if (keys.length <= FAST_KEYS) return Object.assign({}, bucket)
  const copy: Record<string, T> = {}
  for (const key of keys) copy[key] = bucket[key] as T
  return copy
}

/** The bucket of a table holding `key`, writable (the table's top level and the bucket copied once per draft). */
function writableBucket<T>(d: Draft, name: TableName, key: string): Record<string, T> {
  let table = d.state[name] as Table<T>
  if (!d.owned.has(table)) {
    // A spread: the top level has one fast shape (table.ts), which V8 copies flat.
    table = { ...table }
    d.owned.add(table)
    ;(d.state as Record<TableName, unknown>)[name] = table
  }
  const bucketName = bucketOf(key)
  let bucket = table[bucketName]
  if (bucket === undefined || !d.owned.has(bucket)) {
    bucket = bucket === undefined ? {} : copyBucket(bucket)
    d.owned.add(bucket)
    table[bucketName] = bucket
  }
  return bucket
}

export function removeRecord(d: Draft, name: TableName, key: string): void {
  d.touched[name].add(key)
  const bucket = writableBucket(d, name, key)
  delete bucket[key]
  if (name === 'streams') streamWritten(d.state.streams, key)
  if (Object.keys(bucket).length === 0) (d.state[name] as Table<unknown>)[bucketOf(key)] = undefined
}

/** Something changed that can affect any task (a room closed, a room's stream list, a sweep). */
export function touchEverything(d: Draft): void {
  d.touched.everything = true
}

/**
 * A deep copy of a record, which is plain JSON (numbers, strings, booleans, null, arrays, objects):
 * several times faster than structuredClone, which each first write of a record used to pay. Objects
 * are copied by a spread, which keeps their shape: a copy built key by key turns a task record (some
 * 30 keys) into a dictionary, slower to copy and to read.
 */
function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value
  if (Array.isArray(value)) return value.map(cloneJson) as T
  const copy = { ...(value as Record<string, unknown>) }
  for (const key in copy) {
    const field = copy[key]
    if (typeof field === 'object' && field !== null) copy[key] = cloneJson(field)
  }
  return copy as T
}

function own<T extends object>(
  d: Draft,
  name: TableName,
  key: string,
  record: T | undefined,
  fresh: () => T,
): T {
  d.touched[name].add(key)
  if (record !== undefined && d.owned.has(record)) return record
  const copy = record === undefined ? fresh() : cloneJson(record)
  d.owned.add(copy)
  writableBucket<T>(d, name, key)[key] = copy
  return copy
}

export function writableStream(d: Draft, streamId: string, now: number): StreamRecord {
  const stream = own<StreamRecord>(d, 'streams', streamId, tget(d.state.streams, streamId), () => ({
    streamId,
    facts: {},
    observed: null,
    touchedAt: now,
  }))
  // The caller writes it next: the rooms its bucket's streams name are read again (room-candidates.ts).
  streamWritten(d.state.streams, streamId)
  return stream
}

export function writableRoom(d: Draft, roomId: string, now: number): RoomRecord {
  return own<RoomRecord>(d, 'rooms', roomId, tget(d.state.rooms, roomId), () => ({
    roomId,
    closed: {},
    observedAt: null,
    observedReceivedAt: null,
    listedAt: null,
    lastCheckAt: null,
    pendingCheck: null,
    checkFailedAt: null,
    touchedAt: now,
  }))
}

export function writableTask(d: Draft, taskId: string, now: number): TaskRecord {
  return own<TaskRecord>(d, 'tasks', taskId, tget(d.state.tasks, taskId), () => ({
    taskId,
    auto: false,
    roomId: null,
    userId: null,
    lastStart: null,
    lastStop: null,
    run: null,
    // No start seen yet: not running until a start fact says so.
    phase: 'stopped',
    ...unknownRun(),
    touchedAt: now,
  }))
}

/** What a task knows of a run before its StartMix or callbacks tell: nothing (a new run starts here). */
export function unknownRun() {
  return {
    inputs: null,
    inputsSequence: null,
    inputsAt: null,
    inputsEventId: null,
    outputs: [],
    confirmedRun: null,
    runCheckFailedAt: null,
    reportedStop: null,
    superseded: null,
    stopCause: null,
    stopAttempts: 0,
    pending: null,
    verifyAt: null,
    problem: null,
    reported: [],
    due: { stopAt: null, silentAt: null },
    confirming: null,
  } satisfies Partial<TaskRecord>
}

/** Marks a room as having news, creating its record. */
export function touchRoom(d: Draft, roomId: string, now: number): RoomRecord {
  const room = writableRoom(d, roomId, now)
  room.touchedAt = now
  return room
}

/**
 * Marks a room as having stream news (a stream callback in it): only the tasks reading the room's
 * stream set or its news (task-index.ts roomStreamsKey) can be affected, not those reading its lists,
 * checks or closes, which this does not write.
 */
export function touchRoomStreams(d: Draft, roomId: string, now: number): void {
  const wasTouched = d.touched.rooms.has(roomId)
  const room = writableRoom(d, roomId, now)
  if (!wasTouched) d.touched.rooms.delete(roomId)
  d.touched.roomStreams.add(roomId)
  room.touchedAt = now
}
