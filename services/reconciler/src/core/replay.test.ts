import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { decide, nextDeadline } from './decide.ts'
import { type AppState, type CoreInput, emptyState, parseAppState } from './model.ts'
import { type AppPolicy, defaultPolicy } from './policy.ts'
import {
  APP,
  closed,
  created,
  isRoomCheck,
  mixStarted,
  mixStopped,
  outcomeFor,
  policyWith,
  roomClosed,
  startMix,
  T0,
} from './test-kit.ts'

type Step = { input: CoreInput; now: number }

const ev = (event: ReturnType<typeof created>, now = event.receivedAt): Step => ({
  input: { kind: 'event', event },
  now,
})
const tick = (now: number): Step => ({ input: { kind: 'tick' }, now })

function history(): Step[] {
  return [
    ev(created({ streamId: 's1', at: T0, seq: 1 })),
    ev(created({ streamId: 's2', at: T0 + 1, seq: 2 })),
    ev(created({ streamId: 's3', at: T0 + 2, seq: 3 })),
    ev(startMix({ taskId: 'a', at: T0 + 1_000, inputs: ['s1'], outputs: ['o1'], userId: 'ua' })),
    ev(startMix({ taskId: 'b', at: T0 + 2_000, inputs: ['s2'], outputs: ['o2'], userId: 'ub' })),
    ev(mixStarted({ taskId: 'sdk', at: T0 + 3_000, roomId: 'r2', seq: 1 })),
    ev(closed({ streamId: 's1', at: T0 + 10_000, seq: 4, reason: 1 })),
    ev(closed({ streamId: 's2', at: T0 + 11_000, seq: 5, reason: 0 })),
    tick(T0 + 15_000),
    ev(startMix({ taskId: 'c', at: T0 + 16_000, inputs: ['s3'], outputs: ['o1'], userId: 'uc' })),
    tick(T0 + 30_000),
    ev(roomClosed({ roomId: 'r2', at: T0 + 40_000 })),
    tick(T0 + 120_000),
    ev(mixStopped({ taskId: 'b', at: T0 + 121_000, seq: 9 })),
    tick(T0 + 400_000),
    tick(T0 + 900_000),
  ]
}

/** What ZEGO's stream lists say from the closes on: s1 and s2 gone, s3 live. */
const LISTS: Record<string, string[]> = { r1: ['s3'], r2: [] }

/**
 * Runs the history, answering every stop with success (the outcome carries its decision id) and
 * every room check with its list 100 ms later, followed by a tick then.
 */
function run(steps: Step[], restoreAt: number | null, policy: AppPolicy = policyWith({})): Decision[] {
  let state: AppState = emptyState(APP)
  const decisions: Decision[] = []
  steps.forEach(({ input, now }, i) => {
    if (i === restoreAt) {
      const restored = parseAppState(JSON.parse(JSON.stringify(state)))
      if (restored === null) throw new Error('state did not survive the changelog')
      state = restored
    }
    const step = decide(state, input, now, policy)
    state = step.state
    decisions.push(...step.decisions)
    const answer = (input: CoreInput) => {
      const next = decide(state, input, now + 100, policy)
      state = next.state
      decisions.push(...next.decisions)
      return next.decisions
    }
    let made = step.decisions
    while (made.length > 0) {
      const answers = made.flatMap((d): CoreInput[] => {
        if (d.action === 'stop') return [{ kind: 'outcome', outcome: outcomeFor(d, 'stopped', now + 100) }]
        if (!isRoomCheck(d)) return []
        const roomId = d.evidence.note ?? ''
        return [{ kind: 'room_streams', roomId, streamIds: LISTS[roomId] ?? [], observedAt: now + 100 }]
      })
      made = answers.flatMap(answer)
      if (answers.some((a) => a.kind === 'room_streams')) made.push(...answer({ kind: 'tick' }))
    }
  })
  return decisions
}

describe('replay and restore', () => {
  it('the same history always gives the same decisions, ids included', () => {
    const first = run(history(), null)
    expect(first.map((d) => [d.action, d.taskId, d.reason, d.decidedAt - T0])).toEqual([
      ['stop', 'a', 'superseded', 16_050], // when the StartMix record was received
      ['verify', 'b', 'orphaned', 30_000], // its room's stream list, before the stop
      ['stop', 'b', 'orphaned', 30_100],
      ['verify', 'a', 'unconfirmed_stop', 120_000],
      ['verify', 'b', 'unconfirmed_stop', 120_000],
      ['verify', 'sdk', 'room_closed', 120_000], // its room's stream list confirms the close (issue 9)
      ['stop', 'sdk', 'room_closed', 120_100],
      ['verify', 'sdk', 'unconfirmed_stop', 400_000],
      ['verify', 'c', 'silent', 900_000],
    ])
    expect(run(history(), null)).toEqual(first)
  })

  it('continues identically after a JSON round trip of the state at any point (changelog restore)', () => {
    for (const policy of [policyWith({}), defaultPolicy(APP)]) {
      const straight = run(history(), null, policy)
      for (let i = 0; i < history().length; i++) expect(run(history(), i, policy)).toEqual(straight)
    }
  })

  it('an overdue deadline fires on the first tick after a restore (its confirmation first)', () => {
    const policy = policyWith({})
    let state = emptyState(APP)
    for (const { input, now } of history().slice(0, 7)) state = decide(state, input, now, policy).state
    const deadline = nextDeadline(state)
    expect(deadline).not.toBeNull()
    const restored = parseAppState(JSON.parse(JSON.stringify(state)))
    if (restored === null || deadline === null) throw new Error('unreachable')
    expect(nextDeadline(restored)).toBe(deadline)
    const later = deadline + 3_600_000
    const { state: asked, decisions } = decide(restored, { kind: 'tick' }, later, policy)
    // Long past the deadline, but the room is still listed before the stop: no fallback yet.
    const forA = decisions.filter((d) => d.taskId === 'a')
    expect(forA.map((d) => [d.action, d.reason, d.rule, d.evidence.note])).toEqual([
      ['verify', 'orphaned', 'room_streams', 'r1'],
    ])
    const listed = decide(
      asked,
      { kind: 'room_streams', roomId: 'r1', streamIds: ['s2', 's3'], observedAt: later + 200 },
      later + 200,
      policy,
    ).state
    expect(nextDeadline(listed)).toBe(deadline)
    const stops = decide(listed, { kind: 'tick' }, later + 200, policy).decisions
    expect(stops.map((d) => [d.action, d.taskId, d.rule, d.evidence.deadline])).toEqual([
      ['stop', 'a', 'grace:heartbeat_timeout', T0 + 10_000 + policy.graceMs.reconnectable],
    ])
  })

  it('rejects a state it cannot use', () => {
    expect(parseAppState({ v: 2 })).toBeNull()
    expect(parseAppState(null)).toBeNull()
    expect(parseAppState(emptyState(APP))).toEqual(emptyState(APP))
  })
})
