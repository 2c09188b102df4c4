import { type CommandDecision, decisionId } from '@mixguard/contracts'
import { type CommandTarget, commandOf } from './commands.ts'
import { MAX_REPORTED_CAUSES } from './limits.ts'
import type { StopCause, TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { sortedUnique } from './sorted-unique.ts'

type DecisionFields = Omit<CommandDecision, 'v' | 'id' | 'decidedAt' | 'evidence' | 'command'> & {
  evidence: Omit<CommandDecision['evidence'], 'eventIds'> & { eventIds: readonly string[] }
}

/**
 * The id depends on the content, never on the time of deciding: a replay decides the same ids. The
 * command is what the executor runs: the target's call, in the lane the decision's kind gets.
 */
export function makeDecision(fields: DecisionFields, target: CommandTarget, now: number): CommandDecision {
  const content = {
    appId: fields.appId,
    taskId: fields.taskId,
    action: fields.action,
    reason: fields.reason,
    rule: fields.rule,
    evidence: { ...fields.evidence, eventIds: sortedUnique(fields.evidence.eventIds) },
  }
  return {
    v: 1,
    id: decisionId(content),
    ...content,
    decidedAt: now,
    command: commandOf(fields.appId, fields, target),
  }
}

/** A stop of the task (or its report under dry-run): StopMix with the task's initiator UserId. */
export function stopDecision(
  appId: number,
  task: Pick<TaskRecord, 'taskId' | 'userId'>,
  action: 'stop' | 'would_stop',
  cause: StopCause,
  now: number,
  extraEvidence: readonly string[] = [],
): CommandDecision {
  return makeDecision(
    {
      appId,
      taskId: task.taskId,
      action,
      reason: cause.reason,
      rule: cause.rule,
      evidence: {
        eventIds: [...cause.eventIds, ...extraEvidence],
        deadline: cause.deadline,
        supersededBy: cause.supersededBy,
        note: cause.note,
      },
    },
    { call: 'StopMix', taskId: task.taskId, userId: task.userId },
    now,
  )
}

/** Under dry-run a cause is reported once: its would_stop id is remembered on the task. */
export function alreadyReported(task: TaskRecord, cause: StopCause, appId: number): boolean {
  return task.reported.includes(stopDecision(appId, task, 'would_stop', cause, 0).id)
}

/**
 * Acts on a stop cause for a task (mutating the task, which the caller owns). Never: a pinned task,
 * a task that is not plainly running (stopping, stopped, …), or anything under dry-run, which gets a
 * would_stop instead and stays as it is. A dry-run report is remembered under `reportAs`: the cause
 * before its confirmation, whose evidence does not change with every later stream list.
 */
export function emitStop(
  appId: number,
  task: TaskRecord,
  cause: StopCause,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
  reportAs: StopCause = cause,
): void {
  if (task.phase !== 'running' || policy.pinnedTaskIds.includes(task.taskId)) return
  if (policy.dryRun) {
    if (alreadyReported(task, reportAs, appId)) return
    const key = stopDecision(appId, task, 'would_stop', reportAs, now).id
    task.reported = [...task.reported, key].slice(-MAX_REPORTED_CAUSES)
    out.push(stopDecision(appId, task, 'would_stop', cause, now))
    return
  }
  const decision = stopDecision(appId, task, 'stop', cause, now)
  task.phase = 'stopping'
  task.pending = decision
  task.stopCause = cause
  task.stopAttempts += 1
  task.verifyAt = null
  task.due = { stopAt: null, silentAt: null }
  task.confirming = null
  out.push(decision)
}
