import type { Decision, Outcome } from '@mixguard/contracts'

/**
 * The fields of a decision's and an outcome's log line. Top-level `decisionId` and `eventIds` (the ids
 * ingest logs as `eventId` on its access line) let one grep follow a callback to its decision and from
 * there to the StopMix outcome; `appId` and `taskId` narrow it to a task.
 */
export function decisionLogFields(decision: Decision): Record<string, unknown> {
  return {
    appId: decision.appId,
    taskId: decision.taskId,
    decisionId: decision.id,
    eventIds: decision.evidence.eventIds,
    decision,
  }
}

export function outcomeLogFields(
  outcome: Outcome,
  decision: Pick<Decision, 'evidence'>,
): Record<string, unknown> {
  return {
    appId: outcome.appId,
    taskId: outcome.taskId,
    decisionId: outcome.decisionId,
    eventIds: decision.evidence.eventIds,
    outcome,
  }
}
