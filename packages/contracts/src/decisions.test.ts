import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { contentHash } from './canonical-hash.ts'
import {
  DECISION_ACTIONS,
  DECISION_REASONS,
  type DeadLetter,
  type Decision,
  decisionId,
  decodeDeadLetter,
  decodeDecision,
  decodeOutcome,
  encodeDeadLetter,
  encodeDecision,
  encodeOutcome,
  OUTCOME_RESULTS,
  type Outcome,
} from './decisions.ts'

const fields = {
  appId: 4001,
  taskId: 'mix-r7',
  action: 'stop',
  reason: 'superseded',
  rule: 'shared_output',
  evidence: { eventIds: ['e2', 'e1'], deadline: null, supersededBy: 'mix-r8', note: 'B shares mix-r7-out' },
} satisfies Omit<Decision, 'v' | 'id' | 'decidedAt'>

const decision: Decision = { v: 1, id: decisionId(fields), ...fields, decidedAt: 1_700_000_000_000 }

const outcome: Outcome = {
  v: 1,
  decisionId: decision.id,
  appId: 4001,
  taskId: 'mix-r7',
  action: 'StopMix',
  result: 'stopped',
  zegoCode: 0,
  errorCode: null,
  attempt: 1,
  at: 1_700_000_000_300,
}

const deadLetter: DeadLetter = {
  v: 1,
  source: 'ingest:callback',
  reason: 'unknown callback event "room_create"',
  receivedAt: 1_700_000_000_000,
  appId: null,
  payload: '{"event":"room_create"}',
}

describe('decisionId', () => {
  it('keeps the value ids already on the topic and in saved states have', () => {
    expect(decision.id).toBe('7734d4967da5b5afff260dea48b0c21fda943ae82e320b003485c173e6536020')
  })

  it('is the sha256 of the canonical JSON of its parts, for any decision', () => {
    const text = fc.string({ unit: 'binary', maxLength: 24 })
    fc.assert(
      fc.property(
        fc.record({
          appId: fc.integer({ min: 1, max: 0xffffffff }),
          taskId: text,
          action: fc.constantFrom(...DECISION_ACTIONS),
          reason: fc.constantFrom(...DECISION_REASONS),
          rule: fc.option(text),
          evidence: fc.record({
            eventIds: fc.array(text, { maxLength: 8 }),
            deadline: fc.option(fc.integer()),
            supersededBy: fc.option(text),
            note: fc.option(text),
          }),
        }),
        (d) => {
          const { eventIds, deadline, supersededBy } = d.evidence
          const parts = [
            'decision/v1',
            d.appId,
            d.taskId,
            d.action,
            d.reason,
            d.rule,
            [...eventIds].sort(),
            deadline,
            supersededBy,
          ]
          expect(decisionId(d)).toBe(contentHash(parts))
        },
      ),
      { numRuns: 500 },
    )
  })

  it('is deterministic, whatever the order of the evidence ids', () => {
    const again = { ...fields, evidence: { ...fields.evidence, eventIds: ['e1', 'e2'], note: 'reworded' } }
    expect(decisionId(again)).toBe(decision.id)
  })

  it('differs for another reason, action, deadline or task', () => {
    const ids = [
      decisionId({ ...fields, reason: 'orphaned' }),
      decisionId({ ...fields, action: 'would_stop' }),
      decisionId({ ...fields, evidence: { ...fields.evidence, deadline: 5 } }),
      decisionId({ ...fields, taskId: 'mix-r9' }),
    ]
    expect(new Set([decision.id, ...ids]).size).toBe(5)
  })
})

describe('encode / decode', () => {
  it('round-trips a decision, an outcome and a dead letter', () => {
    expect(decodeDecision(encodeDecision(decision))).toEqual({ ok: true, decision })
    expect(decodeOutcome(encodeOutcome(outcome))).toEqual({ ok: true, outcome })
    expect(decodeDeadLetter(encodeDeadLetter(deadLetter))).toEqual({ ok: true, deadLetter })
  })

  it('returns a reason, never throws, on bad bytes or a wrong shape', () => {
    expect(decodeDecision('nope')).toMatchObject({ ok: false, reason: expect.stringContaining('not JSON') })
    expect(decodeOutcome(JSON.stringify({ ...outcome, result: 'exploded' }))).toEqual({
      ok: false,
      reason: `outcome: field result: Invalid option: expected one of ${OUTCOME_RESULTS.map((r) => JSON.stringify(r)).join('|')}`,
    })
    expect(decodeDecision(JSON.stringify({ ...decision, reason: undefined }))).toEqual({
      ok: false,
      reason: 'decision: missing field reason',
    })
    expect(decodeDeadLetter(null)).toEqual({ ok: false, reason: 'deadLetter: empty value' })
  })
})
