import type { CommandDecision } from '@mixguard/contracts'
import { makeDecision } from './decisions.ts'
import { type Draft, writableTask } from './draft.ts'
import type { TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { askRoom, roomReadyAt } from './room-checks.ts'
import { tget } from './table.ts'
import type { View } from './view.ts'

/**
 * Silent tasks: callbacks get lost, so a running task with no news for policy.silentTaskMs has its
 * evidence refreshed from ZEGO — its rooms' stream lists (DescribeSimpleStreamList), or, when no room
 * is known, the task itself (GetMixTaskInfo).
 */

export function hasStreamInputs(task: TaskRecord): boolean {
  return !task.auto && task.inputs !== null && task.inputs.some((ref) => ref.streamId !== null)
}

/** The rooms whose stream lists tell about this task's inputs. */
export function checkRoomsOf(task: TaskRecord, view: View): string[] {
  if (!hasStreamInputs(task)) return task.roomId === null ? [] : [task.roomId]
  // A task's inputs are in a few rooms (most often one): a list, not a Set.
  const rooms: string[] = []
  for (const ref of task.inputs ?? []) {
    if (ref.streamId === null) continue
    const room = view.roomOf(ref.streamId) ?? task.roomId
    if (room !== null && !rooms.includes(room)) rooms.push(room)
  }
  return rooms.length > 1 ? rooms.sort() : rooms
}

function lastNewsOf(task: TaskRecord, rooms: readonly string[], view: View): number {
  let news = task.touchedAt
  if (hasStreamInputs(task)) {
    for (const ref of task.inputs ?? []) {
      const stream = ref.streamId === null ? undefined : tget(view.state.streams, ref.streamId)
      if (stream) news = Math.max(news, stream.touchedAt)
    }
  } else if (task.roomId !== null) {
    news = Math.max(news, tget(view.state.rooms, task.roomId)?.touchedAt ?? news)
  }
  // A stream list we got for this task's rooms is news even when its inputs were not in it.
  for (const roomId of rooms)
    news = Math.max(news, tget(view.state.rooms, roomId)?.observedReceivedAt ?? news)
  return news
}

/** When the task's silence should be checked (callers only ask for plainly running tasks). */
export function silentDueAt(task: TaskRecord, view: View, policy: AppPolicy): number {
  const rooms = checkRoomsOf(task, view)
  const silentAt = lastNewsOf(task, rooms, view) + policy.silentTaskMs
  if (rooms.length === 0) return silentAt
  let ready = Number.POSITIVE_INFINITY
  for (const roomId of rooms)
    ready = Math.min(ready, roomReadyAt(tget(view.state.rooms, roomId), policy, 'recurring'))
  return Math.max(silentAt, ready)
}

/**
 * Emits the checks for the given silent tasks: one room_streams verify per room that may be asked now
 * (named after the room's first silent task, evidence.note = roomId), a GetMixTaskInfo verify per task
 * with no room.
 */
export function checkSilentTasks(
  d: Draft,
  due: readonly { taskId: string; dueAt: number }[],
  view: View,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
): void {
  const rooms = new Map<string, { taskId: string; dueAt: number }>()
  for (const { taskId, dueAt } of due) {
    const task = tget(d.state.tasks, taskId)
    if (task === undefined) continue
    const roomIds = checkRoomsOf(task, view)
    if (roomIds.length === 0) {
      const decision = makeDecision(
        {
          appId: d.state.appId,
          taskId,
          action: 'verify',
          reason: 'silent',
          rule: 'get_mix_task_info',
          evidence: {
            eventIds: [],
            deadline: dueAt,
            supersededBy: null,
            note: 'no news and no room to check',
          },
        },
        { call: 'GetMixTaskInfo', taskId },
        now,
      )
      writableTask(d, taskId, now).pending = decision
      out.push(decision)
      continue
    }
    for (const roomId of roomIds) {
      if (roomReadyAt(tget(d.state.rooms, roomId), policy, 'recurring') > now || rooms.has(roomId)) continue
      rooms.set(roomId, { taskId, dueAt })
    }
  }
  for (const [roomId, { taskId, dueAt }] of [...rooms].sort(([a], [b]) => (a < b ? -1 : 1))) {
    askRoom(d, { roomId, taskId, reason: 'silent', eventIds: [], deadline: dueAt }, now, out)
  }
}
