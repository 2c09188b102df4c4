import type { CommandDecision, Outcome } from '@mixguard/contracts'
import { assertNever as unreachable } from '@mixguard/contracts'
import { stopDecision } from './decisions.ts'
import { type Draft, touchEverything, writableRoom, writableTask } from './draft.ts'
import { applyExternalStop, recordOurStop } from './lifecycle.ts'
import { MAX_STOP_ATTEMPTS } from './limits.ts'
import type { TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { MIX_STOP_RULE } from './reported-stops.ts'
import { checkSupersession } from './supersession.ts'
import { tget, tvalues } from './table.ts'

/**
 * The executor's result for one of our decisions. Only the outcome of the decision a task is waiting
 * for counts: a duplicate, or the outcome of a decision the task has moved past, changes nothing.
 */
export function applyOutcome(
  d: Draft,
  outcome: Outcome,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
): void {
  if (outcome.action === 'DescribeSimpleStreamList') {
    onRoomCheckOutcome(d, outcome, now)
    return
  }
  const existing = tget(d.state.tasks, outcome.taskId)
  const pending = existing?.pending
  if (existing === undefined || pending == null || pending.id !== outcome.decisionId) return
  if (outcome.action !== pending.command.call) return
  const task = writableTask(d, outcome.taskId, now)
  task.touchedAt = now
  const step: Step = { d, now, policy, out }
  if (pending.action === 'stop') onStopOutcome(task, pending, outcome, step)
  else {
    onVerifyOutcome(task, pending, outcome, step)
    // ZEGO's word about the task may be what a supersession by it waited for.
    checkSupersession(d, task.taskId, now, policy, out)
  }
}

/** What an outcome is applied in: the draft, the time, the app's policy and the decisions it makes. */
interface Step {
  d: Draft
  now: number
  policy: AppPolicy
  out: CommandDecision[]
}

/**
 * A room check's answer comes back as a room_streams input; only its failure comes as an outcome. The
 * check is no longer pending; the next waits ZEGO's per-room interval from the last list sent, and a
 * recurring one a silentTaskMs (see checkFailedAt, roomReadyAt).
 */
function onRoomCheckOutcome(d: Draft, outcome: Outcome, now: number): void {
  if (outcome.result !== 'failed_permanent' && outcome.result !== 'gave_up') return
  for (const room of tvalues(d.state.rooms)) {
    if (room.pendingCheck?.id !== outcome.decisionId) continue
    touchEverything(d)
    const writable = writableRoom(d, room.roomId, now)
    writable.pendingCheck = null
    writable.checkFailedAt = outcome.at
    // The executor's last list of the room went out about then, not when the check was decided.
    writable.lastCheckAt = Math.max(writable.lastCheckAt ?? outcome.at, outcome.at)
  }
}

function onStopOutcome(task: TaskRecord, pending: CommandDecision, outcome: Outcome, step: Step): void {
  const { policy } = step
  switch (outcome.result) {
    case 'stopped':
    case 'already_gone':
      task.phase = 'stop_requested_ok'
      task.pending = null
      task.verifyAt = outcome.at + policy.verifyAfterStopMs
      recordOurStop(task, {
        at: pending.decidedAt,
        seq: null,
        source: 'outcome',
        eventId: `decision:${pending.id}`,
      })
      return
    case 'gave_up':
      // Retryable errors outlasted one decision's retries (ZEGO allows one retry of an expired
      // signature, so two in a row give up within a second): the orphan would run on until ZEGO's
      // idle end. Stopped again with a fresh set of retries, within MAX_STOP_ATTEMPTS.
      task.pending = null
      stopAgain(task, pending, step, `stop_gave_up${suffix(outcome)}`)
      return
    case 'failed_permanent':
      // Surfaced, never looped: a permanent error will not pass by trying again.
      task.phase = 'stop_failed'
      task.pending = null
      task.problem = `stop_failed_permanent${suffix(outcome)}`
      return
    case 'retrying':
    case 'still_running':
    case 'observed':
      return
    default:
      unreachable(outcome.result)
  }
}

/**
 * A GetMixTaskInfo's answer. After our StopMix (`unconfirmed_stop` of a stop) "running" stops again;
 * any other check learns whether the run exists, which a held mix_stop (reported-stops.ts) and a
 * supersession by this task (supersession.ts) wait for. No answer: a held mix_stop ends the run on the
 * callback alone, and a supersession falls back (causes.ts).
 */
function onVerifyOutcome(task: TaskRecord, pending: CommandDecision, outcome: Outcome, step: Step): void {
  const { d, now } = step
  const afterOurStop = pending.reason === 'unconfirmed_stop' && pending.rule !== MIX_STOP_RULE
  switch (outcome.result) {
    case 'already_gone':
      task.pending = null
      applyExternalStop(
        d,
        task.taskId,
        { at: outcome.at, seq: null, source: 'outcome', eventId: `decision:${pending.id}` },
        now,
      )
      return
    case 'still_running':
      task.pending = null
      if (afterOurStop) {
        stopAgain(task, pending, step, `still_running_after_${task.stopAttempts}_stops`)
        return
      }
      task.confirmedRun = task.confirmedRun ?? { at: outcome.at, by: 'get_mix_task_info' }
      task.reportedStop = null
      return
    case 'failed_permanent':
    case 'gave_up': {
      task.pending = null
      if (afterOurStop) {
        task.problem = `verify_${outcome.result}`
        return
      }
      task.runCheckFailedAt = outcome.at
      const reported = task.reportedStop
      if (reported !== null) applyExternalStop(d, task.taskId, reported, now)
      return
    }
    case 'stopped':
    case 'retrying':
    case 'observed':
      return
    default:
      unreachable(outcome.result)
  }
}

const suffix = (outcome: Outcome): string => (outcome.errorCode === null ? '' : `:${outcome.errorCode}`)

/**
 * StopMix answered success yet the task still runs, or its retries gave up: stop it again, a bounded
 * number of times, then leave it surfaced as stop_failed with `exhausted` as its problem. Pinned or
 * dry-run by now: hand it back to the running state, where the next tick decides afresh.
 */
function stopAgain(task: TaskRecord, previous: CommandDecision, step: Step, exhausted: string): void {
  const { d, now, policy, out } = step
  const cause = task.stopCause
  if (cause === null || policy.dryRun || policy.pinnedTaskIds.includes(task.taskId)) {
    task.phase = 'running'
    task.verifyAt = null
    return
  }
  if (task.stopAttempts >= MAX_STOP_ATTEMPTS) {
    task.phase = 'stop_failed'
    task.verifyAt = null
    task.problem = exhausted
    return
  }
  // The decision that found it running (or gave up) is part of the evidence, and makes the id a new one.
  const decision = stopDecision(d.state.appId, task, 'stop', cause, now, [`decision:${previous.id}`])
  task.phase = 'stopping'
  task.pending = decision
  task.stopAttempts += 1
  task.verifyAt = null
  out.push(decision)
}
