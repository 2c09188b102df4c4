import type { CommandDecision, EventOf } from '@mixguard/contracts'
import { makeDecision } from './decisions.ts'
import { type Draft, writableTask } from './draft.ts'
import { applyExternalStop, lifecycleRunning, startFollows, stopsLater } from './lifecycle.ts'
import type { LifecycleFact } from './model.ts'
import { tget } from './table.ts'

/** The rule of the GetMixTaskInfo check of a task a mix_stop says has ended. */
export const MIX_STOP_RULE = 'mix_stop'

/**
 * A mix_stop callback. For a task we stopped (or already count as stopped) it ends the run. For a task
 * we believe runs it is only a claim, which a forged callback can make (its signature does not cover
 * its body): it is held as `reportedStop`, and ZEGO asked with GetMixTaskInfo whether the task runs.
 * "Not found" ends the run; "running" drops the claim and the task stays supervised; no answer ends
 * the run on the callback alone, as before (see outcomes.ts). A decision about the task already out
 * (a silence check, a supersession check: GetMixTaskInfo too) answers the question as well.
 */
export function applyMixStopped(
  d: Draft,
  event: EventOf<'mix_stopped'>,
  now: number,
  out: CommandDecision[],
): void {
  const fact: LifecycleFact = {
    at: event.occurredAt ?? event.receivedAt,
    seq: event.body.seq,
    source: 'callback',
    eventId: event.id,
  }
  const taskId = event.body.taskId
  const current = tget(d.state.tasks, taskId)
  if (
    current === undefined ||
    current.phase !== 'running' ||
    !lifecycleRunning(current) ||
    (current.lastStart !== null && startFollows(current.lastStart, fact))
  ) {
    applyExternalStop(d, taskId, fact, now)
    return
  }
  const task = writableTask(d, taskId, now)
  task.touchedAt = now
  if (task.reportedStop === null || stopsLater(fact, task.reportedStop)) task.reportedStop = fact
  if (task.pending !== null) return
  const decision = makeDecision(
    {
      appId: d.state.appId,
      taskId,
      action: 'verify',
      reason: 'unconfirmed_stop',
      rule: MIX_STOP_RULE,
      evidence: {
        eventIds: [event.id],
        deadline: null,
        supersededBy: null,
        note: 'a mix_stop says it ended while we believe it runs: does it?',
      },
    },
    { call: 'GetMixTaskInfo', taskId },
    now,
  )
  task.pending = decision
  out.push(decision)
}
