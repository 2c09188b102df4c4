import type { CommandDecision } from '@mixguard/contracts'
import type { Draft } from './draft.ts'
import {
  ROOM_CHECK_INTERVAL_MS,
  ROOM_LISTS_PER_SECOND,
  ROOM_SWEEP_FRESH_MS,
  ROOM_SWEEP_STEP_MS,
} from './limits.ts'
import type { TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { askRoom, ROOM_SWEEP_RULE, roomReadyAt } from './room-checks.ts'
import { checkRoomsOf, hasStreamInputs } from './silence.ts'
import { tget, tkeys, tvalues } from './table.ts'
import type { View } from './view.ts'

/**
 * The room sweep. ZEGO drops a callback after about 62 s of retries; when the lost one is an input's
 * last stream_close, the callbacks never tell that the input ended, and only the silent-task check
 * (silentTaskMs, 10 min) would find the orphan. So the rooms of running tasks are listed
 * (DescribeSimpleStreamList) continuously, the room whose news is oldest first. An input absent from
 * a list taken after its last callback then counts as gone since that list (streams.ts), and the
 * orphan takes its usual path: the observedAbsent grace, a confirming second list, the stop. An
 * input present in a list is live again, whatever callback said it closed.
 *
 * Pacing is data: `roomSweepAt` in the state says when the next step may list rooms. A step lists at
 * most the policy's share of ROOM_LISTS_PER_SECOND for the time since the last step (one to two
 * steps), less the lists the app's other checks (confirmations, silence) took in that time, and never
 * a room ZEGO would refuse (one list per room per 10 s) or whose every swept input had news within
 * ROOM_SWEEP_FRESH_MS. The executor runs the sweep's lists in its lowest lane, so at the budget every
 * other call goes first.
 *
 * Swept: the rooms of plainly running, unpinned tasks with no stop deadline armed (an armed orphan is
 * confirmed by its own lists at its deadline) and no URL input that counts as live (they cannot be
 * orphaned). An input known only from a StartMix, never seen in a callback or list, has no room a list
 * could speak for; its task's room is swept, which revives the input if it is listed there.
 */

interface SweptRoom {
  roomId: string
  /** The oldest news of any swept input in the room (a list of the room is news for all of them). */
  newsAt: number
  /** The task the list is named after: the one with that oldest news (then the lowest task id). */
  taskId: string
}

function swept(task: TaskRecord, policy: AppPolicy): boolean {
  if (task.phase !== 'running' || task.run === null || task.due.stopAt !== null) return false
  if (policy.pinnedTaskIds.includes(task.taskId)) return false
  return !(policy.urlInputsCountAsLive && task.inputs?.some((ref) => ref.streamUrl !== null))
}

/** The task's oldest news about what a list of `roomId` can tell: its inputs there, or the room itself. */
function newsIn(task: TaskRecord, roomId: string, view: View): number {
  const room = tget(view.state.rooms, roomId)
  let news = Number.POSITIVE_INFINITY
  if (hasStreamInputs(task)) {
    for (const ref of task.inputs ?? []) {
      if (ref.streamId === null || (view.roomOf(ref.streamId) ?? task.roomId) !== roomId) continue
      news = Math.min(news, tget(view.state.streams, ref.streamId)?.touchedAt ?? task.touchedAt)
    }
  } else {
    news = room?.touchedAt ?? task.touchedAt
  }
  return Math.max(news, room?.observedReceivedAt ?? Number.NEGATIVE_INFINITY)
}

/**
 * Every room the sweep looks after, with the age of our news about it. A room where some task's stop
 * deadline (an orphan's, or its confirmation's next step) comes within a room interval is held for that
 * confirmation: a sweep list now would make it wait for ZEGO's 10 s per-room limit.
 */
function sweptRooms(view: View, policy: AppPolicy, now: number): SweptRoom[] {
  const rooms = new Map<string, SweptRoom>()
  const tasks: TaskRecord[] = []
  for (const taskId of tkeys(view.state.tasks).sort()) {
    const task = tget(view.state.tasks, taskId)
    if (task === undefined) continue
    tasks.push(task)
    if (!swept(task, policy)) continue
    for (const roomId of checkRoomsOf(task, view)) {
      const newsAt = newsIn(task, roomId, view)
      const current = rooms.get(roomId)
      if (current === undefined || newsAt < current.newsAt) rooms.set(roomId, { roomId, newsAt, taskId })
    }
  }
  // The held rooms matter only when some room is swept (a tick at many deadlines sweeps none).
  if (rooms.size === 0) return []
  const held = new Set<string>()
  for (const task of tasks) {
    const stopAt = task.due.stopAt
    if (task.phase === 'running' && stopAt !== null && stopAt < now + ROOM_CHECK_INTERVAL_MS)
      for (const roomId of checkRoomsOf(task, view)) held.add(roomId)
  }
  return [...rooms.values()].filter((room) => !held.has(room.roomId))
}

/**
 * When a room may next be swept. A check still unanswered is looked at again one room interval later
 * (its answer, when it comes, is news; roomReadyAt keeps the room from being asked meanwhile).
 */
function sweepableAt(room: SweptRoom, view: View, policy: AppPolicy, now: number): number {
  const record = tget(view.state.rooms, room.roomId)
  const ready = roomReadyAt(record, policy, 'recurring')
  const pendingSince = record?.pendingCheck ? Math.max(now, record.lastCheckAt ?? now) : null
  const readyHint = pendingSince === null ? ready : Math.min(ready, pendingSince + ROOM_CHECK_INTERVAL_MS)
  return Math.max(room.newsAt + ROOM_SWEEP_FRESH_MS, readyHint)
}

/** Lists booked on the app's rooms within the last `windowMs` (by the sweep or any other check). */
function recentLists(view: View, now: number, windowMs: number): number {
  let n = 0
  for (const room of tvalues(view.state.rooms))
    if (room.lastCheckAt !== null && room.lastCheckAt > now - windowMs) n++
  return n
}

/**
 * The time this step speaks for: since the step before when that one was paced (it used its allowance,
 * and this one was due a step after it), at least a step and at most two. A tick that comes late (a
 * busy process) lists for the time it missed, so the sweep keeps its rate; the budget spreads the burst.
 */
function stepWindow(pacedAt: number | null, now: number): number {
  if (pacedAt === null) return ROOM_SWEEP_STEP_MS
  return Math.min(Math.max(now - pacedAt, ROOM_SWEEP_STEP_MS), 2 * ROOM_SWEEP_STEP_MS)
}

/** Lists per step the policy allows the sweep (at least one, so a tiny share still sweeps slowly). */
export function sweepAllowance(policy: AppPolicy): number {
  const perStep = (ROOM_LISTS_PER_SECOND * policy.roomSweep.listShare * ROOM_SWEEP_STEP_MS) / 1000
  return Math.max(1, Math.floor(perStep))
}

/**
 * A step of the sweep on a tick, after the tick's confirmations and silence checks: lists the stalest
 * sweepable rooms within the allowance, and sets when the next step is due (null: nothing to sweep).
 */
export function sweepStep(
  d: Draft,
  view: View,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
): void {
  const s = d.state
  if (s.roomSweepAt !== null && s.roomSweepAt > now) return
  const rooms = policy.roomSweep.enabled ? sweptRooms(view, policy, now) : []
  if (rooms.length === 0) {
    s.roomSweepAt = null
    s.roomSweepPacedAt = null
    return
  }
  const windowMs = stepWindow(s.roomSweepPacedAt, now)
  let left =
    Math.floor((sweepAllowance(policy) * windowMs) / ROOM_SWEEP_STEP_MS) - recentLists(view, now, windowMs)
  let next = Number.POSITIVE_INFINITY
  const due = rooms
    .filter(
      (room) =>
        room.newsAt + ROOM_SWEEP_FRESH_MS <= now &&
        roomReadyAt(tget(s.rooms, room.roomId), policy, 'recurring') <= now,
    )
    .sort((a, b) => a.newsAt - b.newsAt || (a.roomId < b.roomId ? -1 : 1))
  const asked = new Set<string>()
  for (const room of due) {
    if (left <= 0) {
      next = now
      break
    }
    askRoom(
      d,
      {
        roomId: room.roomId,
        taskId: room.taskId,
        reason: 'silent',
        rule: ROOM_SWEEP_RULE,
        eventIds: [],
        // The age of the news this list refreshes: the metrics' sweep cycle time.
        deadline: room.newsAt,
      },
      now,
      out,
    )
    asked.add(room.roomId)
    left--
  }
  for (const room of rooms)
    if (!asked.has(room.roomId)) next = Math.min(next, sweepableAt(room, view, policy, now))
  if (asked.size > 0) next = Math.min(next, now + ROOM_CHECK_INTERVAL_MS)
  // A step that listed (or had no allowance left) waits a step; one that found nothing due waits for
  // the first room to become due, strictly later than now so a timer never spins.
  const paced = asked.size > 0 || left <= 0
  s.roomSweepAt = Math.max(next, paced ? now + ROOM_SWEEP_STEP_MS : now + 1)
  s.roomSweepPacedAt = paced ? now : null
}

/**
 * After any input: a sweep that has nothing scheduled starts one fresh interval after a task was
 * written (a task that just started has fresh news), so an app that gains its first running task is
 * swept without a scan of every task on every event.
 */
export function scheduleRoomSweep(d: Draft, now: number, policy: AppPolicy): void {
  if (!policy.roomSweep.enabled || d.state.roomSweepAt !== null || d.touched.tasks.size === 0) return
  d.state.roomSweepAt = now + ROOM_SWEEP_FRESH_MS
}
