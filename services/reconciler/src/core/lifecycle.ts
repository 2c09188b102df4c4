/**
 * Starts and stops of a task, from StartMix/StopMix records, mix_start/mix_stop callbacks and our own
 * outcomes. Two callback facts are ordered by their seq (a mix_start with the same or a lower seq than
 * a mix_stop does not revive the task); any other pair by time. Ties go to the stop, and a callback's
 * floored second counts as a tie: treating a task as stopped when unsure costs a late stop, never a
 * wrong one.
 */
import type { Draft } from './draft.ts'
import { resetRun, writableTask } from './draft.ts'
import { CALLBACK_TIME_SLACK_MS } from './limits.ts'
import type { LifecycleFact, TaskRecord } from './model.ts'

/** Whether start `a` is known to be the later of two starts of a task. */
function startsLater(a: LifecycleFact, b: LifecycleFact): boolean {
  if (a.seq !== null && b.seq !== null) return a.seq > b.seq
  return a.at > b.at
}

/**
 * The last moment a fact can have happened: a callback's time is floored to the second, so a stop
 * callback at T may have happened up to T + 999 ms.
 */
function latest(fact: LifecycleFact): number {
  return fact.source === 'callback' ? fact.at + CALLBACK_TIME_SLACK_MS - 1 : fact.at
}

/**
 * Whether a start certainly came after a stop. A StartMix at T + 1 ms and a mix_stop floored to T are
 * a tie: ZEGO may have stopped the task after the call, so the call updated the run that then ended
 * (a customer's late update of a task we stopped is no new run that could supersede its successor).
 */
export function startFollows(start: LifecycleFact, stop: LifecycleFact): boolean {
  if (start.seq !== null && stop.seq !== null) return start.seq > stop.seq
  return start.at > latest(stop)
}

/** Whether stop `a` is known to be the later of two stops of a task (the one a start must follow). */
export function stopsLater(a: LifecycleFact, b: LifecycleFact): boolean {
  if (a.seq !== null && b.seq !== null) return a.seq > b.seq
  return latest(a) > latest(b)
}

/** Running by ZEGO's facts (our phase may say stopping/stop_requested_ok on top of it). */
export function lifecycleRunning(task: TaskRecord): boolean {
  return task.lastStart !== null && (task.lastStop === null || startFollows(task.lastStart, task.lastStop))
}

export type StartResult = 'new_run' | 'same_run' | 'stale'

/**
 * A start fact. A task that was not running and now is starts a new run: everything we knew or
 * decided about the previous run is reset. A start older than the last stop is stale.
 */
export function applyStart(d: Draft, taskId: string, fact: LifecycleFact, now: number): StartResult {
  const task = writableTask(d, taskId, now)
  task.touchedAt = now
  const wasRunning = lifecycleRunning(task)
  if (task.lastStart === null || startsLater(fact, task.lastStart)) task.lastStart = fact
  if (!lifecycleRunning(task)) return 'stale'
  const precise = fact.source === 'api'
  if (!wasRunning || task.run === null) {
    task.run = { startedAt: fact.at, precise, eventIds: [fact.eventId] }
    task.phase = 'running'
    task.auto = false
    resetRun(task)
    return 'new_run'
  }
  if (datesEarlier(fact, task.run)) {
    task.run = {
      startedAt: fact.at,
      precise,
      eventIds: [...new Set([...task.run.eventIds, fact.eventId])].slice(-4),
    }
  }
  return 'same_run'
}

/**
 * Whether a start fact of the current run tells an earlier start than the run's date so far. A
 * StartMix record's time is exact: the start happened then, or before it when the call updated a
 * running task. A mix callback's time is floored to the second and the callback is sent after the
 * start, so a callback at T only says "before T + 1 s": it must not replace an exact time unless it
 * proves an earlier start (T + 1 s <= the exact time), else two starts 300 ms apart, each confirmed by
 * a callback in the same second, would both read T and could no longer be ordered. The date is a
 * function of the set of facts (the earliest exact time unless the earliest callback proves an
 * earlier start), whatever their arrival order.
 */
function datesEarlier(fact: LifecycleFact, run: NonNullable<TaskRecord['run']>): boolean {
  const exact = fact.source === 'api'
  if (exact) return run.precise ? fact.at < run.startedAt : fact.at < run.startedAt + CALLBACK_TIME_SLACK_MS
  return run.precise ? fact.at + CALLBACK_TIME_SLACK_MS <= run.startedAt : fact.at < run.startedAt
}

/**
 * A stop by ZEGO or by the customer (mix_stop, a successful StopMix/StopAutoMix, GetMixTaskInfo
 * "not found"): the run is over, whatever we were doing about it. A stop older than the last start
 * belongs to an earlier run and is ignored.
 */
export function applyExternalStop(d: Draft, taskId: string, fact: LifecycleFact, now: number): boolean {
  const task = writableTask(d, taskId, now)
  task.touchedAt = now
  if (task.lastStart !== null && startFollows(task.lastStart, fact)) return false
  if (task.lastStop === null || stopsLater(fact, task.lastStop)) task.lastStop = fact
  task.reportedStop = null
  if (task.phase !== 'stopped') {
    task.phase = 'stopped'
    task.pending = null
    task.verifyAt = null
    task.due = { stopAt: null, silentAt: null }
  }
  return true
}

/**
 * Our StopMix succeeded: the run ended (so a later StartMix with this TaskId is a new run), but we
 * still wait for mix_stop to confirm it. The decision time is used, not the answer's: ZEGO stopped
 * the task somewhere in between, and erring early makes a racing restart count as new.
 */
export function recordOurStop(task: TaskRecord, fact: LifecycleFact): void {
  if (task.lastStart !== null && startFollows(task.lastStart, fact)) return
  if (task.lastStop === null || stopsLater(fact, task.lastStop)) task.lastStop = fact
}
