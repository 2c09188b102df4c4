import type { StopPlan } from './causes.ts'
import { ROOM_LISTS_PER_SECOND, STOP_FLOOR_MS } from './limits.ts'
import type { Confirming, StopCause, TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { type RoomCheck, roomReadyAt } from './room-checks.ts'
import { tget } from './table.ts'
import type { View } from './view.ts'

/**
 * Confirming an orphan before its stop. Stream callbacks can be lost, the reconnect that follows a
 * TCP or heartbeat close included: the closes alone then look exactly like an orphan. So when an
 * orphan deadline passes, the rooms of the gone inputs are listed (DescribeSimpleStreamList) and the
 * stop waits for a list of each room that is
 * - taken after the inputs in that room went: an older list cannot speak for a close it never saw;
 * - and observed at most STOP_FLOOR_MS before the core started confirming (the first time it found the
 *   deadline passed), not earlier, even after the deadline: a cause that only now stands, because a
 *   supersession that hid it ended, needs a list from now, not one of minutes ago.
 * So one list serves a burst: the tasks of a room whose inputs all went at once come due within
 * moments of each other, and the list asked for the first of them confirms every one, where waiting
 * for a list newer than each deadline would cost ZEGO's 10 s per room.
 * - every input absent from it: the stop fires, the lists named in its evidence;
 * - an input present: that input is live (streams.ts), the cause is gone, the task waits again;
 * - no answer (the check failed, or was lost): one more grace after the first checks the stop fires
 *   on the callbacks alone, its rule marked `+unconfirmed` so an operator sees it. The wait counts
 *   from the first checks, not from the deadline: a reconciler back from an outage past the deadline
 *   still asks before it stops.
 * Everything here follows from the plan, the rooms' records, the task's confirming mark and `now`,
 * all of them in the state, so a restore or a replay decides the same.
 */
/**
 * How much older than a task's confirmation a list may be and still confirm it: the stop floor
 * (limits.ts), the spread the core already allows for a callback's way to it. The closes of one burst
 * carry nearly one ZEGO time but arrive spread by that way, and the floor counts from their arrival,
 * so their deadlines differ by up to it. A reconnect whose callbacks were lost between such a list and
 * the deadline goes unseen: the price of one list per burst, bounded by the floor.
 */
const BURST_MS = STOP_FLOOR_MS

/**
 * How long the stream lists asked before this confirmation's take at the executor's list budget
 * (ROOM_LISTS_PER_SECOND): a burst over many rooms asks a list per room at once, and the last ones are
 * answered long after the first. Added to the fallback when the confirmation begins (and kept, so it
 * does not move as the queue drains): a stop falls back to the callbacks alone when its list failed or
 * was lost, not because it waited its turn.
 */
function listsAheadMs(view: View): number {
  return (Math.max(0, view.listsPending() - 1) * 1000) / ROOM_LISTS_PER_SECOND
}

/**
 * What a task's stop plan calls for now. `mark` is the confirming mark the task keeps (null before the
 * deadline, or with nothing to confirm): it stays set from the first checks until the stop, so the
 * confirmation's start survives the ticks and lists in between.
 */
export type Verdict =
  /** The stop fires once `cause.dueAt` has come: with its confirmation, or its fallback. */
  | { kind: 'due'; cause: StopCause; mark: Confirming | null }
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
  const since = cause.dueAt
  if (confirm === null || since > now) return { kind: 'due', cause, mark: null }
  const kept = task.confirming?.since === since ? task.confirming : null
  const startedAt = kept?.startedAt ?? now
  const freshFrom = startedAt - BURST_MS
  // The fallback waits one wait after the first checks. A room with no list asked since its inputs went
  // and none in flight (ZEGO's 10 s per room held it back, or no tick came while the reconciler was
  // away) has had no check: its wait counts from when it can be asked, behind the lists queued then, so
  // a stop never falls back to the callbacks alone without a list of every room asked after the close.
  let fallbackAt = kept?.fallbackAt ?? startedAt + confirm.waitMs + listsAheadMs(view)
  /** The rooms without a list that counts, and the evidence of those with one. */
  const open: typeof confirm.rooms = []
  const listed: string[] = []
  for (const r of confirm.rooms) {
    const room = tget(view.state.rooms, r.roomId)
    const observedAt = room?.observedAt ?? null
    if (observedAt !== null && observedAt >= r.goneAt && observedAt >= freshFrom) {
      listed.push(`room_streams:${r.roomId}@${observedAt}`)
      continue
    }
    open.push(r)
    const askedAt = room?.lastCheckAt ?? null
    // Asked since the inputs went, or a list still in flight (its answer serves every check of the room).
    const asked =
      (askedAt !== null && askedAt >= r.goneAt && askedAt >= freshFrom) ||
      (room?.pendingCheck ?? null) !== null
    if (asked) {
      // A sweep's list (the executor's idle lane) goes after every other list, those asked after this
      // confirmation began too (a burst's closes come in over seconds), and a retried one goes last:
      // while any of them is queued, the fallback stays one wait beyond them.
      if (room?.pendingCheck?.command?.lane === 'idle' && view.listsPending() > 0)
        fallbackAt = Math.max(fallbackAt, now + listsAheadMs(view) + confirm.waitMs)
      continue
    }
    const askableAt = Math.max(now, roomReadyAt(room, policy, 'confirmation'))
    fallbackAt = Math.max(fallbackAt, askableAt + confirm.waitMs + listsAheadMs(view))
  }
  const openIds = open.map((r) => r.roomId)
  const mark: Confirming = { since, startedAt, fallbackAt, rooms: openIds }
  if (open.length === 0) {
    return {
      kind: 'due',
      mark,
      cause: {
        ...cause,
        eventIds: [...new Set([...cause.eventIds, ...listed])].sort(),
        note: `${cause.note}; absent from the stream list of ${confirm.rooms.map((r) => r.roomId).join(', ')}`,
      },
    }
  }
  if (fallbackAt <= now) {
    return {
      kind: 'due',
      mark,
      cause: {
        ...cause,
        rule: `${cause.rule}+unconfirmed`,
        deadline: fallbackAt,
        dueAt: fallbackAt,
        eventIds: [...new Set([...cause.eventIds, ...listed])].sort(),
        note: `${cause.note}; no stream list of ${openIds.join(', ')} since ${startedAt}: stopped on the callbacks alone`,
      },
    }
  }
  return {
    kind: 'confirm',
    mark,
    checks: open.map(({ roomId, eventIds }) => ({
      roomId,
      taskId: task.taskId,
      reason: confirm.reason,
      eventIds,
      deadline: Math.max(startedAt, roomReadyAt(tget(view.state.rooms, roomId), policy, 'confirmation')),
    })),
  }
}

/** The next time a confirming task needs a tick: a room that may be asked, or the fallback. */
export function nextConfirmStep(verdict: Extract<Verdict, { kind: 'confirm' }>): number {
  return Math.min(verdict.mark.fallbackAt, ...verdict.checks.map((c) => c.deadline))
}
