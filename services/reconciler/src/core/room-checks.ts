import type { CommandDecision, Decision } from '@mixguard/contracts'
import { makeDecision } from './decisions.ts'
import { type Draft, writableRoom } from './draft.ts'
import { ROOM_CHECK_INTERVAL_MS } from './limits.ts'
import type { RoomRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'

/**
 * Room checks: DescribeSimpleStreamList calls, asked for silent tasks, to confirm an orphan before
 * its stop, and by the room sweep. The room is the command's `roomId` (and, for a reader, the note); the
 * answer comes back as a `room_streams` input, a failure as an outcome.
 */

/**
 * When a room may be asked next. ZEGO allows one list per room per 10 s, counted from when it received
 * the list: from the later of the last check's decision and the room's last list answer (a list
 * decided at t reaches ZEGO up to a second later under load, and one asked at t + 10 s was refused and
 * retried 10 s later). lastCheckAt itself stays the decision time: the sweep's budget counts lists by
 * when it booked them (room-sweep.ts recentLists). An unanswered check counts
 * as lost after silentTaskMs (its answer, while it may come, serves every check of the room). A
 * `recurring` check (silence, the sweep) also waits a silentTaskMs after a check failed for good, so
 * a room we cannot list is not asked every 10 s. A `confirmation` does not: a stop waits on it, and
 * an earlier failure (a sweep list's, say) would leave the stop to its callbacks alone; an orphan's
 * lists are bounded by its fallback anyway.
 */
export function roomReadyAt(
  room: RoomRecord | undefined,
  policy: AppPolicy,
  purpose: 'confirmation' | 'recurring',
): number {
  if (room === undefined) return Number.NEGATIVE_INFINITY
  const listedAt = Math.max(
    room.lastCheckAt ?? Number.NEGATIVE_INFINITY,
    room.observedAt ?? Number.NEGATIVE_INFINITY,
  )
  let ready = listedAt + ROOM_CHECK_INTERVAL_MS
  if (room.pendingCheck !== null) ready = Math.max(ready, room.pendingCheck.decidedAt + policy.silentTaskMs)
  if (purpose === 'recurring' && room.checkFailedAt !== null)
    ready = Math.max(ready, room.checkFailedAt + policy.silentTaskMs)
  return ready
}

export interface RoomCheck {
  roomId: string
  /** The task the check is named after (the room's first task that needs it, by task id). */
  taskId: string
  reason: Extract<CommandDecision['reason'], 'silent' | 'orphaned' | 'room_empty' | 'room_closed'>
  /** The events behind the check (the closes an orphan stop would rest on; none for silence). */
  eventIds: readonly string[]
  /** When the check became due: a room asked again for one task is asked under a later deadline. */
  deadline: number
  /** Default `room_streams`; the room sweep's lists are `room_sweep` (the executor's lowest lane). */
  rule?: typeof ROOM_STREAMS_RULE | typeof ROOM_SWEEP_RULE
}

export const ROOM_STREAMS_RULE = 'room_streams'
export const ROOM_SWEEP_RULE = 'room_sweep'

/** A DescribeSimpleStreamList decision: its answer comes back as a room_streams input. */
export const isRoomList = (d: Decision): boolean => d.command?.call === 'DescribeSimpleStreamList'

/** Emits one check and books it on the room (the caller has made sure the room may be asked now). */
export function askRoom(d: Draft, check: RoomCheck, now: number, out: CommandDecision[]): void {
  const decision = makeDecision(
    {
      appId: d.state.appId,
      taskId: check.taskId,
      action: 'verify',
      reason: check.reason,
      rule: check.rule ?? ROOM_STREAMS_RULE,
      evidence: {
        // The decision id leaves the note out: `room:<id>` keeps the checks of two rooms for one task apart.
        eventIds: [...check.eventIds, `room:${check.roomId}`],
        deadline: check.deadline,
        supersededBy: null,
        note: check.roomId,
      },
    },
    { call: 'DescribeSimpleStreamList', roomId: check.roomId },
    now,
  )
  const room = writableRoom(d, check.roomId, now)
  room.lastCheckAt = now
  room.pendingCheck = decision
  out.push(decision)
}
