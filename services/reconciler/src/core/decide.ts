import type { CommandDecision, ZegoEvent } from '@mixguard/contracts'
import { assertNever as unreachable } from '@mixguard/contracts'
import { type StopPlan, stopPlanOf } from './causes.ts'
import { nextConfirmStep, type Verdict, verdictOf } from './confirmation.ts'
import { alreadyReported, emitStop, makeDecision } from './decisions.ts'
import {
  closeDraft,
  type Draft,
  indexWritten,
  nextInput,
  openDraft,
  roomsNamedBy,
  taskReaders,
  touchEverything,
  writableTask,
} from './draft.ts'
import { dueBy, dueTimeOf, earliestDue, verifies } from './due-times.ts'
import type { AppState, Confirming, CoreInput, RoomRecord, TaskRecord } from './model.ts'
import { movingTasks } from './moving.ts'
import { applyOutcome } from './outcomes.ts'
import type { AppPolicy } from './policy.ts'
import { applyMixStopped } from './reported-stops.ts'
import { scheduleSweep, sweep } from './retention.ts'
import { streamsNaming } from './room-candidates.ts'
import { askRoom, type RoomCheck } from './room-checks.ts'
import { scheduleRoomSweep, sweepStep } from './room-sweep.ts'
import { checkSilentTasks, silentDueAt } from './silence.ts'
import { applyRoomClosed, applyRoomStreams, applyStreamEvent } from './streams.ts'
import { checkSupersession } from './supersession.ts'
import { tget, tkeys, tvalues } from './table.ts'
import { addReaders, indexOf, type Readers } from './task-index.ts'
import { applyMixApiCall, applyMixCallback, type Started } from './tasks.ts'
import { type View, viewOf } from './view.ts'

export type { CoreInput } from './model.ts'

/**
 * The decision core: (state, input, now) → (state, decisions). No I/O, no clock, no randomness: time
 * is `now`, deadlines are data in the state, and the same state, input and now always give the same
 * state and the same decisions (ids included). The given state is never mutated.
 *
 * Events and outcomes update the facts; only a supersession (which stops at once) or a re-stop after
 * a failed verification decides on them. Deadlines fire on `tick` only, so a shell catching up on a
 * backlog feeds all of it before time moves on: a close and the reconnect behind it in the backlog
 * meet before any grace is judged.
 *
 * Deadlines are re-derived with the policy passed in whenever they fire; the cached ones that
 * nextDeadline() reads are refreshed for the tasks an input can affect, and on a tick for those it
 * fires. A shell that reloads policies should therefore tick with `reassess` once after it does (a
 * restored state's first tick re-assesses every task by itself).
 */
export function decide(
  state: AppState,
  input: CoreInput,
  now: number,
  policy: AppPolicy,
): { state: AppState; decisions: CommandDecision[] } {
  return decideWaking(state, input, now, policy, 'readers')
}

/** One input of a batch and the time it is decided at. */
export interface TimedInput {
  input: CoreInput
  now: number
}

/**
 * decide() over a batch of inputs, in order: the state after the last, and each input's decisions (in
 * the batch's order). Exactly what deciding them one by one gives, decisions and ids included (the
 * batch-differential property test compares the two). The given state is never mutated; an input
 * that would make decide() throw makes this throw.
 */
export function decideAll(
  state: AppState,
  inputs: readonly TimedInput[],
  policy: AppPolicy,
): { state: AppState; decisions: CommandDecision[][] } {
  // One draft for the batch: a table's top level, a bucket and a record are copied once per batch, not
  // once per input that writes them, and the task index is taken and kept once. What each input wakes
  // is what it wrote (nextInput starts its own record of writes).
  let d = openDraft(state)
  const decisions: CommandDecision[][] = []
  inputs.forEach(({ input, now }, i) => {
    // A tick keeps the stop plans of the tasks it did not write, told by a written task being a new
    // record (keptPlans): that holds in a draft opened for it, not in one earlier inputs wrote.
    if (input.kind === 'tick' && i > 0) d = openDraft(closeDraft(d))
    const out: CommandDecision[] = []
    decideOn(d, input, now, policy, 'readers', out)
    nextInput(d)
    decisions.push(out)
  })
  return { state: closeDraft(d), decisions }
}

/** decide() with a chosen wake rule (see Wake): the differential property test compares the two. */
export function decideWaking(
  state: AppState,
  input: CoreInput,
  now: number,
  policy: AppPolicy,
  wake: Wake,
): { state: AppState; decisions: CommandDecision[] } {
  const d = openDraft(state)
  const out: CommandDecision[] = []
  decideOn(d, input, now, policy, wake, out)
  return { state: closeDraft(d), decisions: out }
}

/** Decides one input on a draft: its facts, what fires, the deadlines of the tasks it can affect. */
function decideOn(
  d: Draft,
  input: CoreInput,
  now: number,
  policy: AppPolicy,
  wake: Wake,
  out: CommandDecision[],
): void {
  /** The stop plans a tick's firing made, for its re-arming (see keptPlans). */
  let plans: Plans | null = null
  /** The tasks a tick assessed, when not every task (see tickedTasks). */
  let ticked: readonly string[] | null = null
  switch (input.kind) {
    case 'event':
      applyEvent(d, input.event, now, policy, out)
      break
    case 'outcome':
      if (input.outcome.appId === d.state.appId) applyOutcome(d, input.outcome, now, policy, out)
      break
    case 'room_streams':
      applyRoomStreams(d, input, now)
      break
    case 'tick': {
      const view = viewOf(d.state)
      ticked = tickedTasks(d, input.reassess === true || wake === 'rooms', now)
      if (ticked === null) touchEverything(d)
      plans = new Map()
      fireDue(d, ticked ?? tkeys(d.state.tasks).sort(), view, now, policy, out, plans)
      sweepStep(d, view, now, policy, out)
      // The tasks the tick's room checks would leave stale are assessed with it, as a full tick did.
      if (ticked !== null && d.touched.rooms.size > 0) ticked = [...ticked, ...writtenRoomsReaders(d)]
      break
    }
    default:
      unreachable(input)
  }
  if (d.state.sweepAt !== null && d.state.sweepAt <= now) sweep(d, now)
  const refreshed = refreshDue(d, now, policy, wake, keptPlans(d, plans), ticked)
  markStale(d, refreshed)
  scheduleSweep(d, now)
  scheduleRoomSweep(d, now, policy)
}

function applyEvent(
  d: Draft,
  event: ZegoEvent,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
): void {
  if (event.appId !== d.state.appId) return
  let started: Started = null
  switch (event.type) {
    case 'stream_created':
    case 'stream_closed':
      applyStreamEvent(d, event, now)
      return
    case 'room_closed':
      applyRoomClosed(d, event, now)
      return
    case 'mix_started':
      started = applyMixCallback(d, event, now)
      break
    case 'mix_stopped':
      applyMixStopped(d, event, now, out)
      return
    case 'mix_api_call':
      started = applyMixApiCall(d, event, now)
      break
    default:
      unreachable(event)
  }
  if (started !== null) checkSupersession(d, started.taskId, now, policy, out)
}

const pinned = (task: TaskRecord, policy: AppPolicy): boolean => policy.pinnedTaskIds.includes(task.taskId)

/** Where a task stands at `now`: the one walk that both firing and arming deadlines read. */
type Assessment =
  /** Nothing to fire or arm for it here (not running, pinned, or a dry-run cause already reported). */
  | { kind: 'none' }
  /** A stop cause holds: its verdict says whether it is due or waits for its confirmation. */
  | { kind: 'stop'; plan: StopPlan; verdict: Verdict }
  /** Running with no cause and nothing pending: its silence check is due at `dueAt`. */
  | { kind: 'silent'; dueAt: number }

/**
 * Stop plans by the task record they were made for. A plan reads the task, the task superseding it, the
 * streams and the rooms' closes and lists (causes.ts), never the time: keptPlans() tells when a later
 * assessment in the same input may take it from here.
 */
type Plans = Map<TaskRecord, StopPlan | null>

function assess(
  task: TaskRecord,
  view: View,
  policy: AppPolicy,
  now: number,
  appId: number,
  plans: Plans | null = null,
): Assessment {
  if (task.phase !== 'running' || pinned(task, policy)) return { kind: 'none' }
  let plan = plans?.get(task)
  if (plan === undefined) {
    plan = stopPlanOf(task, view, policy)
    plans?.set(task, plan)
  }
  if (plan !== null) {
    if (policy.dryRun && alreadyReported(task, plan.cause, appId)) return { kind: 'none' }
    return { kind: 'stop', plan, verdict: verdictOf(task, plan, view, policy, now) }
  }
  if (task.pending !== null) return { kind: 'none' }
  return { kind: 'silent', dueAt: silentDueAt(task, view, policy) }
}

/**
 * The tasks a tick assesses, in id order: those whose cached deadline or verification has come (only
 * they can have something to fire: refreshDue keeps every other task's deadlines as its assessment
 * gives them), those whose cached deadlines may be stale (task-index.ts), and the confirming ones whose
 * fallback time alone moves (moving.ts). Each set comes from the task index (the due ones from its heap
 * of times, due-times.ts): no scan of every task. Null: every task, when `everything` is asked for (a
 * changed policy, the former rule) or the stale ones are not known (a restored state, which may also
 * have been saved under another policy).
 */
function tickedTasks(d: Draft, everything: boolean, now: number): readonly string[] | null {
  const stale = d.index.stale
  if (everything || stale === 'all') return null
  indexWritten(d)
  const ids = new Set(dueBy(d.index.due, now))
  for (const taskId of stale) if (tget(d.state.tasks, taskId) !== undefined) ids.add(taskId)
  for (const taskId of movingTasks(d.index, d.state.tasks, d.state.rooms)) ids.add(taskId)
  return [...ids].sort()
}

/** A stop ZEGO accepted, with no mix_stop yet, is to be verified now. */
const verifyDue = (task: TaskRecord, now: number): boolean =>
  verifies(task) && (task.verifyAt as number) <= now

/**
 * "Time has reached now": every due stop, verification, orphan confirmation and silence check of the
 * given tasks (ids in order). A room is asked once per tick, for its first task that needs it;
 * confirmations go before silence checks, since a stop waits on them.
 */
function fireDue(
  d: Draft,
  taskIds: readonly string[],
  view: View,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
  plans: Plans,
): void {
  const silent: { taskId: string; dueAt: number }[] = []
  const checks = new Map<string, RoomCheck>()
  for (const taskId of taskIds) {
    const task = tget(d.state.tasks, taskId)
    if (task === undefined) continue
    const a = assess(task, view, policy, now, d.state.appId, plans)
    if (a.kind === 'stop') {
      const { verdict } = a
      switch (verdict.kind) {
        case 'due':
          if (verdict.cause.dueAt <= now)
            emitStop(
              d.state.appId,
              writableTask(d, taskId, now),
              verdict.cause,
              now,
              policy,
              out,
              a.plan.cause,
            )
          break
        case 'confirm':
          for (const check of verdict.checks)
            if (check.deadline <= now && !checks.has(check.roomId)) checks.set(check.roomId, check)
          break
        default:
          unreachable(verdict)
      }
    } else if (a.kind === 'silent') {
      if (a.dueAt <= now) silent.push({ taskId, dueAt: a.dueAt })
    } else if (verifyDue(task, now)) {
      const decision = makeDecision(
        {
          appId: d.state.appId,
          taskId,
          action: 'verify',
          reason: 'unconfirmed_stop',
          rule: 'get_mix_task_info',
          evidence: {
            eventIds: task.stopCause?.eventIds ?? [],
            deadline: task.verifyAt,
            supersededBy: null,
            note: 'StopMix succeeded but no mix_stop arrived',
          },
        },
        { call: 'GetMixTaskInfo', taskId },
        now,
      )
      const writable = writableTask(d, taskId, now)
      writable.pending = decision
      writable.verifyAt = null
      out.push(decision)
    }
  }
  for (const roomId of [...checks.keys()].sort()) askRoom(d, checks.get(roomId) as RoomCheck, now, out)
  checkSilentTasks(d, silent, view, now, policy, out)
}

/**
 * Which tasks an input wakes. `readers` (the core's): the tasks reading what it wrote, and on a tick
 * those it fires. `rooms` (the former rule, kept for the differential property test): also every task
 * of a room a stream callback named, which that callback cannot affect, and every task on a tick.
 */
export type Wake = 'readers' | 'rooms'

/**
 * The tasks whose cause or silence can have changed with what this input wrote: the tasks written,
 * those reading a written stream or room or waiting for its list, those superseded by a written task,
 * and the tasks a tick assessed. A room close, a retention sweep or a tick that reassesses re-evaluates
 * every task (and so applies a changed policy).
 *
 * A stream callback writes its stream and its room's stream news (room.touchedAt): it wakes the tasks
 * reading that stream, and those reading the room's stream set (task-index.ts Reading). The room's other
 * tasks read neither, so their assessment is the one cached — unless time alone changed it: a task
 * whose cached deadline has passed (an input fed late, a backlog) is re-assessed as when every task of
 * the room was woken, so its confirmation starts at the same `now` as it did then.
 */
function affectedTasks(
  d: Draft,
  now: number,
  wake: Wake,
  ticked: readonly string[] | null,
): readonly TaskRecord[] {
  const t = d.touched
  if (t.everything) return tvalues(d.state.tasks)
  indexWritten(d)
  const { room, roomStreams, stream: ofStream, task: ofTask } = d.index.readers
  // The draft's own set, empty between inputs: most inputs wake no task, and none allocates one.
  const ids = d.woken
  if (ticked !== null) for (const taskId of ticked) ids.add(taskId)
  // Only a stream callback (nothing else written in its room) wakes by the room's stream set: an input
  // that also wrote rooms (a list) wakes the rooms of the streams it wrote, as the former rule did.
  const byStreams = wake === 'rooms' || t.rooms.size > 0 ? room : roomStreams
  // Each room a written stream names, or whose stream news was written: its readers by the rule in
  // force, and those the former rule woke (every task of the room) when overdue or moving with time
  // (wakeOverdue). The set is the same in any order: wakeOverdue only skips the tasks already in it.
  for (const roomId of t.rooms) addReaders(ids, room.get(roomId))
  for (const roomId of t.roomStreams) {
    addReaders(ids, byStreams.get(roomId))
    wakeOverdue(d, room.get(roomId), now)
  }
  // The rooms the written streams name, now and before the input (a list may have moved one): the
  // draft's set of former rooms takes the present ones too (cleared with the input's writes).
  const named = t.formerRooms
  for (const streamId of t.streams) {
    addReaders(ids, ofStream.get(streamId))
    const stream = tget(d.state.streams, streamId)
    if (stream !== undefined) roomsNamedBy(stream, named)
  }
  for (const roomId of named) {
    addReaders(ids, byStreams.get(roomId))
    wakeOverdue(d, room.get(roomId), now)
  }
  for (const taskId of t.tasks) {
    addReaders(ids, ofTask.get(taskId))
    ids.add(taskId)
  }
  if (ids.size === 0) return NO_TASKS
  const tasks: TaskRecord[] = []
  for (const taskId of [...ids].sort()) {
    const task = tget(d.state.tasks, taskId)
    if (task !== undefined) tasks.push(task)
  }
  ids.clear()
  return tasks
}

const NO_TASKS: readonly TaskRecord[] = []

/**
 * Adds to the draft's woken set the tasks of `readers` not in it yet whose assessment time alone may have
 * changed (a cached deadline passed, a fallback that moves with time: moving.ts), or stale ones.
 */
function wakeOverdue(d: Draft, readers: Readers | undefined, now: number): void {
  if (readers === undefined) return
  if (typeof readers === 'string') wakeIfOverdue(d, readers, now)
  else for (const taskId of readers) wakeIfOverdue(d, taskId, now)
}

function wakeIfOverdue(d: Draft, taskId: string, now: number): void {
  const ids = d.woken
  if (ids.has(taskId)) return
  const stale = d.index.stale
  const task = tget(d.state.tasks, taskId)
  if (task === undefined) return
  if (overdue(task, now) || stale === 'all' || stale.has(taskId)) ids.add(taskId)
  else if (movingTasks(d.index, d.state.tasks, d.state.rooms).has(taskId)) ids.add(taskId)
}

/** A cached deadline has passed: time alone may have changed the task's assessment (confirmation.ts verdictOf). */
const overdue = (task: TaskRecord, now: number): boolean =>
  (task.due.stopAt !== null && task.due.stopAt <= now) ||
  (task.due.silentAt !== null && task.due.silentAt <= now)

/**
 * Recomputes the cached deadlines and the confirming mark of the affected tasks with the current
 * policy, so nextDeadline() needs nothing but the state. A dry-run cause already reported is not
 * armed again. A confirming task is due when one of its rooms may be asked, or at its fallback; once
 * its lists are in, at its (passed) deadline, so the next tick stops it. Returns the tasks it
 * re-assessed (their records before it wrote them).
 */
function refreshDue(
  d: Draft,
  now: number,
  policy: AppPolicy,
  wake: Wake,
  plans: Plans | null,
  ticked: readonly string[] | null,
): readonly TaskRecord[] {
  const tasks = affectedTasks(d, now, wake, ticked)
  if (tasks.length === 0) return tasks
  // The view of the state after the input (and after the tick fired): its memos start empty.
  const view = viewOf(d.state)
  for (const task of tasks) {
    let stopAt: number | null = null
    let silentAt: number | null = null
    let confirming: Confirming | null = null
    const a = assess(task, view, policy, now, d.state.appId, plans)
    if (a.kind === 'stop') {
      stopAt = a.verdict.kind === 'due' ? a.verdict.cause.dueAt : nextConfirmStep(a.verdict)
      confirming = a.verdict.mark
    } else if (a.kind === 'silent') {
      silentAt = a.dueAt
    }
    if (
      task.due.stopAt !== stopAt ||
      task.due.silentAt !== silentAt ||
      !sameConfirming(task.confirming, confirming)
    ) {
      const writable = writableTask(d, task.taskId, task.touchedAt)
      writable.due = { stopAt, silentAt }
      // An equal mark stays the same object: the task index sees that the rooms it reads did not change.
      if (!sameConfirming(writable.confirming, confirming)) writable.confirming = confirming
    }
  }
  return tasks
}

/**
 * The plans a tick's firing made, when they still hold for its re-arming: the tick's draft wrote no
 * stream, no room's closes or lists, and a task it wrote is a new record (the draft copies a record the
 * first time it writes it, after its plan was made), so only the tasks it did not write keep their plan.
 * A task superseded by another is planned again: the other may have been written. Room checks asked on
 * the tick write a room's check fields, which a plan does not read (verdictOf does: it is made again).
 */
function keptPlans(d: Draft, plans: Plans | null): Plans | null {
  if (plans === null || d.touched.streams.size > 0) return null
  for (const roomId of d.touched.rooms)
    if (!samePlanFacts(tget(d.base.rooms, roomId), tget(d.state.rooms, roomId))) return null
  for (const task of plans.keys()) if (task.superseded !== null) plans.delete(task)
  return plans
}

/** The fields of a room a stop plan reads (causes.ts, liveness.ts): its closes and its lists. */
function samePlanFacts(a: RoomRecord | undefined, b: RoomRecord | undefined): boolean {
  if (a === b) return true
  if (a === undefined || b === undefined) return false
  if (a.listedAt !== b.listedAt || a.observedAt !== b.observedAt) return false
  if (a.observedReceivedAt !== b.observedReceivedAt) return false
  const keys = Object.keys(a.closed)
  if (keys.length !== Object.keys(b.closed).length) return false
  for (const key of keys) if (a.closed[key] !== b.closed[key]) return false
  return true
}

/** Keeps the index's stale set (task-index.ts): re-assessed tasks leave it, readers of a written room's streams join it. */
function markStale(d: Draft, refreshed: readonly TaskRecord[]): void {
  if (d.touched.everything) {
    d.index.stale = new Set()
    return
  }
  const stale = d.index.stale
  if (stale === 'all') return
  if (stale.size > 0) for (const task of refreshed) stale.delete(task.taskId)
  if (d.touched.rooms.size === 0) return
  const reassessed = new Set(refreshed.map((task) => task.taskId))
  for (const taskId of writtenRoomsReaders(d)) if (!reassessed.has(taskId)) stale.add(taskId)
}

/** The tasks reading a stream ever in a room the draft wrote (room-candidates.ts), with no scan of every stream. */
function writtenRoomsReaders(d: Draft): Set<string> {
  const streamIds: string[] = []
  for (const roomId of d.touched.rooms)
    for (const streamId of streamsNaming(d.state.streams, roomId)) streamIds.push(streamId)
  return taskReaders(d, 'stream', streamIds)
}

function sameConfirming(a: Confirming | null, b: Confirming | null): boolean {
  if (a === null || b === null) return a === b
  return (
    a.since === b.since &&
    a.startedAt === b.startedAt &&
    a.fallbackAt === b.fallbackAt &&
    a.rooms.join('\n') === b.rooms.join('\n')
  )
}

/**
 * The one time the shell should tick next for this app (null: nothing is scheduled): the earliest of
 * the sweeps' times and each task's (due-times.ts dueTimeOf).
 */
export function nextDeadline(state: AppState): number | null {
  let next = Math.min(
    state.sweepAt ?? Number.POSITIVE_INFINITY,
    state.roomSweepAt ?? Number.POSITIVE_INFINITY,
  )
  // The index decide() left with the task map has each task's time; a state it did not return (a
  // restored one) is scanned.
  const index = indexOf(state.tasks)
  if (index !== undefined) next = Math.min(next, earliestDue(index.due) ?? Number.POSITIVE_INFINITY)
  else
    for (const task of tvalues(state.tasks))
      next = Math.min(next, dueTimeOf(task) ?? Number.POSITIVE_INFINITY)
  return Number.isFinite(next) ? next : null
}

/** Stops and verifications decided but without a final outcome yet: the shell re-executes them after a restart. */
export function pendingDecisions(state: AppState): CommandDecision[] {
  const pending: CommandDecision[] = []
  for (const task of tvalues(state.tasks)) if (task.pending !== null) pending.push(task.pending)
  for (const room of tvalues(state.rooms)) if (room.pendingCheck !== null) pending.push(room.pendingCheck)
  return pending.sort((a, b) => a.decidedAt - b.decidedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
}
