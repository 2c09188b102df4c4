import type { Decision, Outcome } from '@mixguard/contracts'
import { expect, it } from 'vitest'
import { decisionLogFields, outcomeLogFields } from './log-fields.ts'

it('decision and outcome lines carry the decision id and the event ids ingest logged, at the top level', () => {
  const decision: Decision = {
    v: 1,
    id: 'd1',
    appId: 4001,
    taskId: 't',
    action: 'stop',
    reason: 'orphaned',
    rule: 'grace:normal_close',
    evidence: { eventIds: ['e-close'], deadline: 1, supersededBy: null, note: null },
    decidedAt: 2,
  }
  const outcome: Outcome = {
    v: 1,
    decisionId: 'd1',
    appId: 4001,
    taskId: 't',
    action: 'StopMix',
    result: 'stopped',
    zegoCode: 0,
    errorCode: null,
    attempt: 1,
    at: 3,
  }
  expect(decisionLogFields(decision)).toMatchObject({
    appId: 4001,
    taskId: 't',
    decisionId: 'd1',
    eventIds: ['e-close'],
  })
  expect(outcomeLogFields(outcome, decision)).toMatchObject({
    decisionId: 'd1',
    eventIds: ['e-close'],
    outcome,
  })
})
