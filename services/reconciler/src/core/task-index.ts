import { type DueTimes, dueTimeOf, emptyDueTimes, setDueTime } from './due-times.ts'
import type { TaskRecord } from './model.ts'
import { hasStreamInputs } from './silence.ts'
import { type Table, tget, tkeys } from './table.ts'

/**
 * Which tasks read a room, a stream or a newer task (the tasks an input can affect), and which share
 * an output or an initiator in a room (the candidates of a supersession): found without a scan of
 * every task on every input. A memo, not state: it is a function of the task map alone, kept
 * beside the map object it describes. decide() hands it from the map it was given to the map it
 * returns, updating only the tasks it wrote; the map it was given loses it (a second decide() from
 * that map rebuilds it), so an index never describes a map it was not updated for.
 */
export interface TaskIndex {
  /**
   * Per kind of read, the id read → the tasks reading it: a room, a room's stream set, a stream, a
   * newer task, and a purpose (`o:<output>`, `u:<[userId, roomId]>`). A lookup takes the id as it is,
   * with no key string built for it.
   */
  readers: Record<Reading, Map<string, Readers>>
  /** Each task's reads as kind, id pairs (flat), to take them out when it changes. */
  keys: Map<string, string[]>
  /** What each task's keys were read from: a record that still holds these values needs no new keys. */
  read: Map<string, Reads>
  /**
   * Tasks whose cached deadlines may be stale ('all': not known): those reading a stream ever in a room
   * an input wrote, which a task does not index (its silence waits for its inputs' rooms, silence.ts),
   * until they are re-assessed. A stream callback re-assesses them as the former rule did (decide.ts).
   */
  stale: Set<string> | 'all'
  /** Each task's earliest cached time (due-times.ts): what a tick can fire, and when to tick next. */
  due: DueTimes
  /** The tasks with a confirming mark (the only ones whose fallback can move with time alone). */
  confirming: Set<string>
  /**
   * The confirming tasks whose fallback moves with time alone (moving.ts), kept with the tasks' and
   * rooms' writes; null until a tick first needs them.
   */
  moving: Set<string> | null
}

/**
 * What a task can read. `roomStreams`: a room's stream set or its news, read by the tasks without
 * stream inputs (auto, unknown or URL inputs).
 */
export type Reading = 'room' | 'roomStreams' | 'stream' | 'task' | 'purpose'

/** The tasks reading one id: most ids are read by one task, kept as its id (no Set made for it). */
export type Readers = string | Set<string>

/** Adds the tasks of `readers` to `into`. */
export function addReaders(into: Set<string>, readers: Readers | undefined): void {
  if (readers === undefined) return
  if (typeof readers === 'string') into.add(readers)
  else for (const taskId of readers) into.add(taskId)
}

const indexes = new WeakMap<object, TaskIndex>()

/** The keys under which another task could share a purpose with this one (supersession.ts sharedRule). */
function purposeKeys(task: TaskRecord): string[] {
  const keys = task.outputs.map((output) => `o:${output}`)
  if (task.userId !== null && task.roomId !== null)
    keys.push(`u:${JSON.stringify([task.userId, task.roomId])}`)
  return keys
}

/**
 * What a task reads, as kind, id pairs: its room, the rooms it waits lists of, its stream inputs, the
 * task that superseded it, its purposes.
 */
function keysOf(task: TaskRecord): string[] {
  const keys: string[] = []
  if (task.roomId !== null) keys.push('room', task.roomId)
  // Only these read streamsInRoom (causes.ts roomCause, auto inputs) and the room's touchedAt (silence.ts).
  if (task.roomId !== null && !hasStreamInputs(task)) keys.push('roomStreams', task.roomId)
  // Its own room is read already: a confirmation of its own room's list leaves its keys as they were.
  for (const roomId of task.confirming?.rooms ?? []) if (roomId !== task.roomId) keys.push('room', roomId)
  for (const ref of task.inputs ?? []) if (ref.streamId !== null) keys.push('stream', ref.streamId)
  if (task.superseded !== null) keys.push('task', task.superseded.by)
  for (const key of purposeKeys(task)) keys.push('purpose', key)
  return keys
}

/**
 * The fields keysOf reads. Records are copied on write sharing their nested values (draft.ts), and
 * nested values are replaced, never written in place: the same values give the same keys. Of the
 * confirming mark keysOf reads only the rooms, compared by content: a tick re-arms every confirming
 * task with a new mark whose rooms are most often the same.
 */
interface Reads {
  roomId: string | null
  auto: boolean
  inputs: TaskRecord['inputs']
  confirmingRooms: readonly string[] | null
  superseded: TaskRecord['superseded']
  outputs: readonly string[]
  userId: string | null
}

const readsOf = (t: TaskRecord): Reads => ({
  roomId: t.roomId,
  auto: t.auto,
  inputs: t.inputs,
  confirmingRooms: t.confirming?.rooms ?? null,
  superseded: t.superseded,
  outputs: t.outputs,
  userId: t.userId,
})

const sameReads = (a: TaskRecord, b: Reads): boolean =>
  a.roomId === b.roomId &&
  a.auto === b.auto &&
  a.inputs === b.inputs &&
  sameRooms(a.confirming?.rooms ?? null, b.confirmingRooms, a.roomId) &&
  a.superseded === b.superseded &&
  a.outputs === b.outputs &&
  a.userId === b.userId

/**
 * Whether two confirming marks' rooms name the same rooms other than the task's own, in one order
 * (keysOf leaves its own room out): a mark set or dropped on the task's own room alone keeps its keys.
 */
function sameRooms(a: readonly string[] | null, b: readonly string[] | null, own: string | null): boolean {
  if (a === b) return true
  const an = a?.length ?? 0
  const bn = b?.length ?? 0
  let i = 0
  let j = 0
  for (;;) {
    while (i < an && a?.[i] === own) i++
    while (j < bn && b?.[j] === own) j++
    if (i === an || j === bn) return i === an && j === bn
    if (a?.[i] !== b?.[j]) return false
    i++
    j++
  }
}

function unindex(index: TaskIndex, taskId: string): void {
  const keys = index.keys.get(taskId)
  if (keys !== undefined)
    for (let i = 0; i < keys.length; i += 2) {
      const byId = index.readers[keys[i] as Reading]
      const id = keys[i + 1] as string
      const readers = byId.get(id)
      if (readers === undefined) continue
      if (typeof readers === 'string') {
        if (readers === taskId) byId.delete(id)
        continue
      }
      readers.delete(taskId)
      if (readers.size === 0) byId.delete(id)
    }
  index.keys.delete(taskId)
  index.read.delete(taskId)
}

/** Re-reads the given tasks (written or removed) of `tasks` into the index. */
export function reindex(index: TaskIndex, tasks: Table<TaskRecord>, taskIds: Iterable<string>): void {
  for (const taskId of taskIds) {
    const task = tget(tasks, taskId)
    if (task === undefined) {
      unindex(index, taskId)
      setDueTime(index.due, taskId, null)
      index.confirming.delete(taskId)
      continue
    }
    // A write most often moves a deadline: these are kept up to date before the reads are compared.
    setDueTime(index.due, taskId, dueTimeOf(task))
    if (task.confirming !== null) index.confirming.add(taskId)
    else index.confirming.delete(taskId)
    const read = index.read.get(taskId)
    if (read !== undefined && sameReads(task, read)) continue
    const keys = keysOf(task)
    const before = index.keys.get(taskId)
    // Most writes (a deadline, a phase) leave what a task reads as it was.
    if (before === undefined || !sameKeys(before, keys)) {
      unindex(index, taskId)
      index.keys.set(taskId, keys)
      for (let i = 0; i < keys.length; i += 2) {
        const byId = index.readers[keys[i] as Reading]
        const id = keys[i + 1] as string
        const readers = byId.get(id)
        if (readers === undefined) byId.set(id, taskId)
        else if (typeof readers !== 'string') readers.add(taskId)
        else if (readers !== taskId) byId.set(id, new Set<string>().add(readers).add(taskId))
      }
    }
    index.read.set(taskId, readsOf(task))
  }
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

/** Takes the index of a task map away from it (built when it has none). */
export function takeIndex(tasks: Table<TaskRecord>): TaskIndex {
  const index = indexes.get(tasks)
  if (index !== undefined) {
    indexes.delete(tasks)
    return index
  }
  const readers = {
    room: new Map(),
    roomStreams: new Map(),
    stream: new Map(),
    task: new Map(),
    purpose: new Map(),
  }
  const built: TaskIndex = {
    readers,
    keys: new Map(),
    read: new Map(),
    stale: 'all',
    due: emptyDueTimes(),
    confirming: new Set(),
    moving: null,
  }
  reindex(built, tasks, tkeys(tasks))
  return built
}

/** The index a task map has (undefined: none kept with it), left with it. */
export const indexOf = (tasks: Table<TaskRecord>): TaskIndex | undefined => indexes.get(tasks)

/** Leaves an index, up to date, with the task map it describes. */
export function keepIndex(tasks: Table<TaskRecord>, index: TaskIndex): void {
  indexes.set(tasks, index)
}

/**
 * The tasks sharing a purpose key with an indexed task, itself included: its keys as the index holds
 * them (no key string made again, and each already hashed by the maps).
 */
export function sharersOf(index: TaskIndex, taskId: string): Set<string> {
  const found = new Set<string>()
  const keys = index.keys.get(taskId) ?? []
  for (let i = 0; i < keys.length; i += 2)
    if (keys[i] === 'purpose') addReaders(found, index.readers.purpose.get(keys[i + 1] as string))
  return found
}

/** The tasks reading any of `ids` (of one kind). */
export function readersOf(index: TaskIndex, kind: Reading, ids: Iterable<string>): Set<string> {
  const byId = index.readers[kind]
  const found = new Set<string>()
  for (const id of ids) addReaders(found, byId.get(id))
  return found
}
