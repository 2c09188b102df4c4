import type { StopPlan } from './causes.ts'
import type { Confirming, StopCause, TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { type RoomCheck, roomReadyAt } from './room-checks.ts'
import { tget } from './table.ts'
import type { View } from './view.ts'

/**
 * Confirming an orphan before its stop. Stream callbacks can be lost, the reconnect that follows a
 * TCP or heartbeat close included: the closes alone then look exactly like an orphan. So when an
 * orphan deadline passes, the rooms of the gone inputs are listed (DescribeSimpleStreamList) and the
 * stop waits for a list observed at or after the deadline:
 * - every input absent from it: the stop fires, the lists named in its evidence;
 * - an input present: that input is live (streams.ts), the cause is gone, the task waits again;
 * - no answer (the check failed, or was lost): one more grace after the first checks the stop fires
 *   on the callbacks alone, its rule marked `+unconfirmed` so an operator sees it. The wait counts
 *   from the first checks, not from the deadline: a reconciler back from an outage past the deadline
 *   still asks before it stops.
 * Everything here follows from the plan, the rooms' records, the task's confirming mark and `now`,
 * all of them in the state, so a restore or a replay decides the same.
 */
export type Verdict =
  /** The stop fires once `cause.dueAt` has come (it may have, with its confirmation). */
  | { kind: 'due'; cause: StopCause }
  /** The deadline passed and the stop waits for these rooms' lists, each asked from its `deadline`. */
  | { kind: 'confirm'; mark: Confirming; checks: RoomCheck[] }

export function verdictOf(
  task: TaskRecord,
  plan: StopPlan,
  view: View,
  policy: AppPolicy,
  now: number,
): Verdict {
  const { cause, confirm } = plan
  if (confirm === null) return { kind: 'due', cause }
  const since = cause.dueAt
  const rooms = confirm.rooms.map((r) => ({
    ...r,
    observedAt: tget(view.state.rooms, r.roomId)?.observedAt ?? null,
  }))
  const listed = rooms.flatMap(({ roomId, observedAt }) =>
    observedAt !== null && observedAt >= since ? [`room_streams:${roomId}@${observedAt}`] : [],
  )
  const open = rooms.filter(({ observedAt }) => observedAt === null || observedAt < since)
  if (open.length === 0) {
    return {
      kind: 'due',
      cause: {
        ...cause,
        eventIds: [...new Set([...cause.eventIds, ...listed])].sort(),
        note: `${cause.note}; absent from the stream list of ${rooms.map((r) => r.roomId).join(', ')}`,
      },
    }
  }
  if (since > now) return { kind: 'due', cause }
  const startedAt = task.confirming?.since === since ? task.confirming.startedAt : now
  const fallbackAt = startedAt + confirm.waitMs
  const openIds = open.map((r) => r.roomId)
  if (fallbackAt <= now) {
    return {
      kind: 'due',
      cause: {
        ...cause,
        rule: `${cause.rule}+unconfirmed`,
        deadline: fallbackAt,
        dueAt: fallbackAt,
        eventIds: [...new Set([...cause.eventIds, ...listed])].sort(),
        note: `${cause.note}; no stream list of ${openIds.join(', ')} since ${since}, asked from ${startedAt}: stopped on the callbacks alone`,
      },
    }
  }
  return {
    kind: 'confirm',
    mark: { since, startedAt, fallbackAt, rooms: openIds },
    checks: open.map(({ roomId, eventIds }) => ({
      roomId,
      taskId: task.taskId,
      reason: confirm.reason,
      eventIds,
      deadline: Math.max(since, roomReadyAt(tget(view.state.rooms, roomId), policy)),
    })),
  }
}

/** The next time a confirming task needs a tick: a room that may be asked, or the fallback. */
export function nextConfirmStep(verdict: Extract<Verdict, { kind: 'confirm' }>): number {
  return Math.min(verdict.mark.fallbackAt, ...verdict.checks.map((c) => c.deadline))
}
