import type { TaskRecord } from './model.ts'

/**
 * Each task's earliest cached time, earliest first: the tasks a tick can fire and the next time to tick,
 * found without a scan of every task (task-index.ts keeps it with the task map). A min-heap of
 * (time, task) entries beside each task's current time: an entry whose time is no longer its task's
 * was left by a write and is dropped when it reaches the top.
 */
export interface DueTimes {
  /** The time of each task that has one (dueTimeOf). */
  at: Map<string, number>
  /** Entries as a binary min-heap by time: `times[i]` is `ids[i]`'s. */
  times: number[]
  ids: string[]
}

export const emptyDueTimes = (): DueTimes => ({ at: new Map(), times: [], ids: [] })

/**
 * The earliest time at which a tick has something to do for the task: a cached deadline (a stop, a
 * silence check) or the verification of a stop ZEGO accepted with no mix_stop yet. Null: none.
 */
export function dueTimeOf(task: TaskRecord): number | null {
  let time = Number.POSITIVE_INFINITY
  if (task.due.stopAt !== null) time = task.due.stopAt
  if (task.due.silentAt !== null && task.due.silentAt < time) time = task.due.silentAt
  if (verifies(task) && (task.verifyAt as number) < time) time = task.verifyAt as number
  return Number.isFinite(time) ? time : null
}

/** A stop ZEGO accepted, with no mix_stop yet and nothing pending, is verified at its verifyAt. */
export const verifies = (task: TaskRecord): boolean =>
  task.phase === 'stop_requested_ok' && task.pending === null && task.verifyAt !== null

/** Records a task's time (null: it has none, or the task is gone). */
export function setDueTime(due: DueTimes, taskId: string, time: number | null): void {
  if (time === null) {
    due.at.delete(taskId)
    return
  }
  if (due.at.get(taskId) === time) return
  due.at.set(taskId, time)
  push(due, time, taskId)
  // Entries left by writes: rebuilt from the times once they outnumber the live ones.
  if (due.times.length > 2 * due.at.size + 64) rebuild(due)
}

/** The tasks whose time is at or before `now`, each once, in no order. */
export function dueBy(due: DueTimes, now: number): string[] {
  const found: string[] = []
  const seen = new Set<string>()
  while (due.times.length > 0 && (due.times[0] as number) <= now) {
    const time = due.times[0] as number
    const taskId = due.ids[0] as string
    pop(due)
    if (due.at.get(taskId) === time && !seen.has(taskId)) {
      seen.add(taskId)
      found.push(taskId)
    }
  }
  // They stay due until a write gives them a new time.
  for (const taskId of found) push(due, due.at.get(taskId) as number, taskId)
  return found
}

/** The earliest time of any task (null: none). */
export function earliestDue(due: DueTimes): number | null {
  while (due.times.length > 0 && due.at.get(due.ids[0] as string) !== due.times[0]) pop(due)
  return due.times.length > 0 ? (due.times[0] as number) : null
}

function rebuild(due: DueTimes): void {
  due.times = []
  due.ids = []
  for (const [taskId, time] of due.at) push(due, time, taskId)
}

function push(due: DueTimes, time: number, taskId: string): void {
  const { times, ids } = due
  let i = times.length
  times.push(time)
  ids.push(taskId)
  while (i > 0) {
    const parent = (i - 1) >> 1
    if ((times[parent] as number) <= time) break
    times[i] = times[parent] as number
    ids[i] = ids[parent] as string
    i = parent
  }
  times[i] = time
  ids[i] = taskId
}

function pop(due: DueTimes): void {
  const { times, ids } = due
  const lastTime = times.pop() as number
  const lastId = ids.pop() as string
  const n = times.length
  if (n === 0) return
  let i = 0
  for (;;) {
    let child = 2 * i + 1
    if (child >= n) break
    if (child + 1 < n && (times[child + 1] as number) < (times[child] as number)) child++
    if ((times[child] as number) >= lastTime) break
    times[i] = times[child] as number
    ids[i] = ids[child] as string
    i = child
  }
  times[i] = lastTime
  ids[i] = lastId
}
