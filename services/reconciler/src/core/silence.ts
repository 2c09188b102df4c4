import type { Decision } from '@mixguard/contracts'
import { makeDecision } from './decisions.ts'
import { type Draft, writableRoom, writableTask } from './draft.ts'
import { ROOM_CHECK_INTERVAL_MS } from './limits.ts'
import type { RoomRecord, TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { tget } from './table.ts'
import type { View } from './view.ts'

/**
 * Silent tasks: callbacks get lost, so a running task with no news for policy.silentTaskMs has its
 * evidence refreshed from ZEGO — its rooms' stream lists (DescribeSimpleStreamList), or, when no room
 * is known, the task itself (GetMixTaskInfo).
 */

function hasStreamInputs(task: TaskRecord): boolean {
  return !task.auto && task.inputs !== null && task.inputs.some((ref) => ref.streamId !== null)
}

/** The rooms whose stream lists tell about this task's inputs. */
export function checkRoomsOf(task: TaskRecord, view: View): string[] {
  if (!hasStreamInputs(task)) return task.roomId === null ? [] : [task.roomId]
  const rooms = new Set<string>()
  for (const ref of task.inputs ?? []) {
    if (ref.streamId === null) continue
    const room = view.roomOf(ref.streamId) ?? task.roomId
    if (room !== null) rooms.add(room)
  }
  return [...rooms].sort()
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

/**
 * ZEGO allows one list per room per 10 s; an unanswered check counts as lost after silentTaskMs, and a
 * failed one waits as long before the next, so a room we cannot list is not asked every 10 s.
 */
function roomReadyAt(room: RoomRecord | undefined, policy: AppPolicy): number {
  if (room === undefined) return Number.NEGATIVE_INFINITY
  let ready = room.lastCheckAt === null ? Number.NEGATIVE_INFINITY : room.lastCheckAt + ROOM_CHECK_INTERVAL_MS
  if (room.pendingCheck !== null) ready = Math.max(ready, room.pendingCheck.decidedAt + policy.silentTaskMs)
  if (room.checkFailedAt !== null) ready = Math.max(ready, room.checkFailedAt + policy.silentTaskMs)
  return ready
}

/** When the task's silence should be checked (callers only ask for plainly running tasks). */
export function silentDueAt(task: TaskRecord, view: View, policy: AppPolicy): number {
  const rooms = checkRoomsOf(task, view)
  const silentAt = lastNewsOf(task, rooms, view) + policy.silentTaskMs
  if (rooms.length === 0) return silentAt
  const ready = Math.min(...rooms.map((roomId) => roomReadyAt(tget(view.state.rooms, roomId), policy)))
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
  out: Decision[],
): void {
  const rooms = new Map<string, { taskId: string; dueAt: number }>()
  for (const { taskId, dueAt } of due) {
    const task = d.state.tasks[taskId]
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
        now,
      )
      writableTask(d, taskId, now).pending = decision
      out.push(decision)
      continue
    }
    for (const roomId of roomIds) {
      if (roomReadyAt(tget(d.state.rooms, roomId), policy) > now || rooms.has(roomId)) continue
      rooms.set(roomId, { taskId, dueAt })
    }
  }
  for (const [roomId, { taskId, dueAt }] of [...rooms].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const decision = makeDecision(
      {
        appId: d.state.appId,
        taskId,
        action: 'verify',
        reason: 'silent',
        rule: 'room_streams',
        evidence: { eventIds: [], deadline: dueAt, supersededBy: null, note: roomId },
      },
      now,
    )
    const room = writableRoom(d, roomId, now)
    room.lastCheckAt = now
    room.pendingCheck = decision
    out.push(decision)
  }
}
