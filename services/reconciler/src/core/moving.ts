import type { RoomRecord, TaskRecord } from './model.ts'
import { type Table, tget } from './table.ts'
import type { TaskIndex } from './task-index.ts'

/**
 * Whether a confirming task's verdict can change with time alone, before its next step: while one of its
 * open rooms has no list asked, or only the room sweep's (idle lane), its fallback stays one wait beyond
 * `now` and the lists queued (confirmation.ts verdictOf), so every tick moves it. A room with its own
 * list in flight holds the fallback where it is. Told from the mark and the rooms alone (a room asked
 * and answered without a list that counts also says yes: more ticks assess it than need to, none fewer).
 */
function movesWithTime(task: TaskRecord, rooms: Table<RoomRecord>): boolean {
  const mark = task.confirming
  if (mark === null) return false
  for (const roomId of mark.rooms) {
    const lane = tget(rooms, roomId)?.pendingCheck?.command?.lane
    if (lane === undefined || lane === 'idle') return true
  }
  return false
}

/**
 * The tasks that move with time (the index's `moving`), found among the confirming ones when the index
 * does not know them yet (it was just built); from then on trackMoving keeps them.
 */
export function movingTasks(
  index: TaskIndex,
  tasks: Table<TaskRecord>,
  rooms: Table<RoomRecord>,
): Set<string> {
  if (index.moving === null) {
    index.moving = new Set()
    trackMoving(index, tasks, rooms, index.confirming, [])
  }
  return index.moving
}

/**
 * Brings the index's `moving` up to date with the tasks and the rooms written: a task's mark, or the
 * check of a room it waits for (every room a task waits for is one it reads, task-index.ts keysOf).
 * The index's readers and confirming set must be up to date first.
 */
export function trackMoving(
  index: TaskIndex,
  tasks: Table<TaskRecord>,
  rooms: Table<RoomRecord>,
  taskIds: Iterable<string>,
  roomIds: Iterable<string>,
): void {
  const moving = index.moving
  if (moving === null) return
  const check = (taskId: string): void => {
    const task = index.confirming.has(taskId) ? tget(tasks, taskId) : undefined
    if (task !== undefined && movesWithTime(task, rooms)) moving.add(taskId)
    else moving.delete(taskId)
  }
  for (const taskId of taskIds) check(taskId)
  for (const roomId of roomIds) {
    const readers = index.readers.room.get(roomId)
    if (typeof readers === 'string') check(readers)
    else if (readers !== undefined) for (const taskId of readers) check(taskId)
  }
}
