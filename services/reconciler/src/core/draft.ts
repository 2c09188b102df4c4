import type { AppState, RoomRecord, StreamFact, StreamRecord, TaskRecord } from './model.ts'
import { trackMoving } from './moving.ts'
import { streamWritten } from './room-candidates.ts'
import { bucketOf, FAST_KEYS, GROW_KEYS, grown, sizeOf, type Table, tget } from './table.ts'
import {
  keepIndex,
  type Reading,
  readersOf,
  reindex,
  sharersOf,
  type TaskIndex,
  takeIndex,
} from './task-index.ts'

type TableName = 'streams' | 'tasks' | 'rooms'

/**
 * Copy-on-write over one AppState, so decide() never mutates the state it was given (a shell can keep
 * the old state if writing the decisions fails, and a test can decide twice from one state). A table's
 * top level and the bucket are copied the first time a record in them is written, the record the
 * first time it is written. The draft also remembers what was written, so only the tasks that can be
 * affected are re-evaluated.
 *
 * What the draft may write is what is not the given state's: a table, bucket or record of `state` that
 * is not the same object at the same place in `base` is one the draft made (no set of owned objects to
 * keep: a comparison is cheaper than a lookup).
 */
export interface Draft {
  state: AppState
  /** The state given, never written. */
  base: AppState
  /**
   * `roomStreams`: rooms whose stream set alone changed (a stream callback), not their lists, checks or
   * closes. `formerRooms`: the rooms a written stream named before the input wrote it (a list can move a
   * stream to another room: the stream set of the room it left changed too).
   */
  touched: {
    streams: Set<string>
    tasks: Set<string>
    rooms: Set<string>
    roomStreams: Set<string>
    formerRooms: Set<string>
    everything: boolean
  }
  /** The task index of the state (task-index.ts), brought up to date by taskReaders() and closeDraft(). */
  index: TaskIndex
  /**
   * Per table, the key and the record own() gave last: the draft's own (made or copied by it), so a
   * write of the same record again needs no lookup. Forgotten when a record of the table is removed.
   */
  lastKey: Record<TableName, string | null>
  lastRecord: Record<TableName, object | null>
  /** The tasks an input wakes, gathered by decide.ts (affectedTasks): empty between inputs. */
  woken: Set<string>
}

export function openDraft(state: AppState): Draft {
  return {
    state: { ...state },
    base: state,
    touched: {
      streams: new Set(),
      tasks: new Set(),
      rooms: new Set(),
      roomStreams: new Set(),
      formerRooms: new Set(),
      everything: false,
    },
    index: takeIndex(state.tasks),
    lastKey: { streams: null, tasks: null, rooms: null },
    lastRecord: { streams: null, tasks: null, rooms: null },
    woken: new Set(),
  }
}

/** The tasks of the draft reading any of `ids` (task-index.ts). */
export function taskReaders(d: Draft, kind: Reading, ids: Iterable<string>): Set<string> {
  indexWritten(d)
  return readersOf(d.index, kind, ids)
}

/** The tasks sharing a purpose with the task, itself included (task-index.ts sharersOf). */
export function purposeSharers(d: Draft, taskId: string): Set<string> {
  indexWritten(d)
  return sharersOf(d.index, taskId)
}

/**
 * Brings the task index up to date with the tasks written, and its moving tasks with the rooms written
 * too (most inputs write neither: no iterator then).
 */
export function indexWritten(d: Draft): void {
  const t = d.touched
  if (t.tasks.size > 0) reindex(d.index, d.state.tasks, t.tasks)
  if (t.tasks.size > 0 || t.rooms.size > 0)
    trackMoving(d.index, d.state.tasks, d.state.rooms, t.tasks, t.rooms)
}

/**
 * The next input of a batch is decided on this draft (decide.ts decideAll): the index takes in the
 * tasks this one wrote, and what the next one writes is recorded afresh, since an input wakes the tasks
 * reading what it wrote. What the draft owns stays its own: a record written again is written in place.
 */
export function nextInput(d: Draft): void {
  indexWritten(d)
  const t = d.touched
  // Clearing a Set allocates its new table: most inputs write one or two kinds of record.
  if (t.streams.size > 0) t.streams.clear()
  if (t.tasks.size > 0) t.tasks.clear()
  if (t.rooms.size > 0) t.rooms.clear()
  if (t.roomStreams.size > 0) t.roomStreams.clear()
  if (t.formerRooms.size > 0) t.formerRooms.clear()
  t.everything = false
}

/** The draft's state is final: its task index stays with its task map. */
export function closeDraft(d: Draft): AppState {
  indexWritten(d)
  keepIndex(d.state.tasks, d.index)
  return d.state
}

/**
 * A shallow copy of a bucket, in the same key order. Object.assign copies a small bucket (a fast
 * object) several times faster than a loop or a spread, buckets having as many shapes as key sets; a
 * large one, which V8 keeps as a dictionary, is copied key by key, several times faster than by either.
 */
function copyBucket<T>(bucket: Record<string, T>): Record<string, T> {
  if (!larger(bucket, FAST_KEYS)) return Object.assign({}, bucket)
  const copy: Record<string, T> = {}
  for (const key of Object.keys(bucket)) copy[key] = bucket[key] as T
  return copy
}

/** A bucket of a table, writable (the table's top level and the bucket copied once per draft). */
function writableBucket<T>(d: Draft, name: TableName, bucketName: string): Record<string, T> {
  const base = d.base[name] as Table<T>
  let table = d.state[name] as Table<T>
  if (table === base) {
    // A spread: the top level has one fast shape (table.ts), which V8 copies flat.
    table = { ...table }
    ;(d.state as Record<TableName, unknown>)[name] = table
  }
  let bucket = table[bucketName]
  if (bucket === undefined || bucket === base[bucketName]) {
    bucket = bucket === undefined ? {} : copyBucket(bucket)
    table[bucketName] = bucket
  }
  return bucket
}

export function removeRecord(d: Draft, name: TableName, key: string): void {
  d.touched[name].add(key)
  d.lastKey[name] = null
  const bucketName = bucketOf(key, sizeOf(d.state[name]))
  const bucket = writableBucket(d, name, bucketName)
  delete bucket[key]
  if (name === 'streams') streamWritten(d.state.streams, key)
  if (!larger(bucket, 0)) (d.state[name] as Table<unknown>)[bucketName] = undefined
}

/** Something changed that can affect any task (a room closed, a room's stream list, a sweep). */
export function touchEverything(d: Draft): void {
  d.touched.everything = true
}

/**
 * The copy a draft writes of a record: a spread (which keeps its shape, so V8 copies it flat and reads it
 * fast), nested values shared with the state it came from. Nested objects and arrays are replaced, never
 * written in place, but for the two maps written key by key (a stream's facts, a room's closes), which
 * the copy gets its own of. The driver of the core's tests (test-kit.ts) freezes every state it hands
 * to decide(), so a write into a shared nested value throws there.
 */
function own<T extends object>(
  d: Draft,
  name: TableName,
  key: string,
  now: number,
  fresh: (key: string, now: number) => T,
  copy: (record: T) => T,
  touch = true,
): T {
  if (touch) d.touched[name].add(key)
  if (d.lastKey[name] === key) return d.lastRecord[name] as T
  const size = sizeOf(d.state[name])
  const bucketName = bucketOf(key, size)
  const record = (d.state[name] as Table<T>)[bucketName]?.[key]
  let owned: T
  if (record === undefined) owned = fresh(key, now)
  else {
    // The given state's record is looked up in its own table: a table the draft grew has other buckets.
    const base = d.base[name] as Table<T>
    const given = sizeOf(base) === size ? base[bucketName]?.[key] : tget(base, key)
    if (record !== given) {
      d.lastKey[name] = key
      d.lastRecord[name] = record
      return record
    }
    owned = copy(record)
  }
  d.lastKey[name] = key
  d.lastRecord[name] = owned
  const bucket = writableBucket<T>(d, name, bucketName)
  bucket[key] = owned
  if (record === undefined && larger(bucket, GROW_KEYS)) {
    ;(d.state as Record<TableName, unknown>)[name] = grown(d.state[name] as Table<T>)
  }
  return owned
}

/** Whether an object has more than `n` keys (counting no further, with no array of its keys). */
function larger(object: object, n: number): boolean {
  let count = 0
  for (const _ in object) if (++count > n) return true
  return false
}

const copyStream = (s: StreamRecord): StreamRecord => ({ ...s, facts: { ...s.facts } })
const copyRoom = (r: RoomRecord): RoomRecord => ({ ...r, closed: { ...r.closed } })
const copyTask = (t: TaskRecord): TaskRecord => ({ ...t })

export function writableStream(d: Draft, streamId: string, now: number): StreamRecord {
  if (!d.touched.streams.has(streamId)) {
    const before = tget(d.state.streams, streamId)
    if (before !== undefined) roomsNamedBy(before, d.touched.formerRooms)
  }
  const stream = own(d, 'streams', streamId, now, newStream, copyStream)
  // The caller writes it next: the rooms its bucket's streams name are read again (room-candidates.ts).
  streamWritten(d.state.streams, streamId)
  return stream
}

/** Adds to `into` the rooms a stream's facts and its observation name. */
export function roomsNamedBy(stream: StreamRecord, into: Set<string>): void {
  for (const key in stream.facts) into.add((stream.facts[key] as StreamFact).roomId)
  const observedIn = stream.observed?.roomId
  if (observedIn) into.add(observedIn)
}

const newStream = (streamId: string, now: number): StreamRecord => ({
  streamId,
  facts: {},
  observed: null,
  touchedAt: now,
})

/** The room's record, writable; `touch`: a write the tasks reading the room must see (touchRoomStreams). */
export function writableRoom(d: Draft, roomId: string, now: number, touch = true): RoomRecord {
  return own(d, 'rooms', roomId, now, newRoom, copyRoom, touch)
}

const newRoom = (roomId: string, now: number): RoomRecord => ({
  roomId,
  closed: {},
  observedAt: null,
  observedReceivedAt: null,
  listedAt: null,
  lastCheckAt: null,
  pendingCheck: null,
  checkFailedAt: null,
  touchedAt: now,
})

export function writableTask(d: Draft, taskId: string, now: number): TaskRecord {
  return own(d, 'tasks', taskId, now, newTask, copyTask)
}

/**
 * A task never seen: not running until a start fact says so, and nothing known of a run (resetRun). One
 * literal in the saved key order: a spread in a literal takes V8's slow path, which every new task paid.
 */
function newTask(taskId: string, now: number): TaskRecord {
  return {
    taskId,
    auto: false,
    roomId: null,
    userId: null,
    lastStart: null,
    lastStop: null,
    run: null,
    phase: 'stopped',
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
    touchedAt: now,
  }
}

/**
 * Forgets what a task knew of its run before a new one starts: each field of a run gets the value a
 * task never seen has (newTask). Written in place: the fields exist on every task, so the saved key
 * order does not change.
 */
export function resetRun(task: TaskRecord): void {
  task.inputs = null
  task.inputsSequence = null
  task.inputsAt = null
  task.inputsEventId = null
  task.outputs = []
  task.confirmedRun = null
  task.runCheckFailedAt = null
  task.reportedStop = null
  task.superseded = null
  task.stopCause = null
  task.stopAttempts = 0
  task.pending = null
  task.verifyAt = null
  task.problem = null
  task.reported = []
  task.due = { stopAt: null, silentAt: null }
  task.confirming = null
}

/** Marks a room as having news, creating its record. */
export function touchRoom(d: Draft, roomId: string, now: number): RoomRecord {
  const room = writableRoom(d, roomId, now)
  room.touchedAt = now
  return room
}

/**
 * Marks a room as having stream news (a stream callback in it): only the tasks reading the room's
 * stream set or its news (task-index.ts Reading) can be affected, not those reading its lists,
 * checks or closes, which this does not write.
 */
export function touchRoomStreams(d: Draft, roomId: string, now: number): void {
  const room = writableRoom(d, roomId, now, false)
  d.touched.roomStreams.add(roomId)
  room.touchedAt = now
}
