import { type Decision, OUTCOME_RESULTS } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, decideAll, nextDeadline, type TimedInput } from './decide.ts'
import { type AppState, emptyState } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { policyArb } from './test-checks.ts'
import { assertProperty, timeoutFor } from './test-depth.ts'
import {
  APP,
  closed,
  created,
  deepFreeze,
  isRoomCheck,
  outcomeFor,
  policyWith,
  startMix,
  T0,
} from './test-kit.ts'
import { buildWorld, prng, type Script, scriptArb } from './test-world.ts'

const TIMEOUT_MS = timeoutFor(100)

/** An input as the one-by-one run fed it: the policy it was decided with, its decisions, the state after it. */
interface Step extends TimedInput {
  policy: AppPolicy
  decisions: Decision[]
  after: AppState
}

/**
 * A history decided one input at a time, as decide() has always been called: the world's events, ticks
 * at their deadlines, late or at random times, ZEGO's answers to what was decided (stream lists of any
 * subset, outcomes of any result), and policy reloads with their tick.
 */
function oneByOne(script: Script, policies: [AppPolicy, AppPolicy], random: () => number): Step[] {
  const world = buildWorld(script)
  const steps: Step[] = []
  let state: AppState = emptyState(APP)
  let policy = policies[0]
  let clock = world.events[0]?.receivedAt ?? T0
  const feed = (input: TimedInput['input']): void => {
    const step = decide(deepFreeze(state), input, clock, policy)
    state = step.state
    steps.push({ input, now: clock, policy, decisions: step.decisions, after: state })
    for (const decision of step.decisions) {
      const r = random()
      if (isRoomCheck(decision)) {
        if (r < 0.2) continue
        const roomId = decision.evidence.note ?? ''
        const streamIds = ['s0', 's1', 's2', 's3'].filter(() => random() < 0.5)
        const observedAt = r < 0.3 ? clock - Math.floor(random() * 60_000) : clock
        feed({ kind: 'room_streams', roomId, streamIds, observedAt })
      } else if (decision.command !== null && r < 0.8) {
        const result = OUTCOME_RESULTS[Math.floor(random() * OUTCOME_RESULTS.length)] ?? 'stopped'
        feed({ kind: 'outcome', outcome: outcomeFor(decision, result, clock) })
      }
    }
  }
  const tickUntil = (t: number): void => {
    for (let due = nextDeadline(state); due !== null && due <= t; ) {
      clock = Math.max(clock, due)
      feed({ kind: 'tick' })
      const next = nextDeadline(state)
      due = next !== null && next > clock ? next : null
    }
  }
  for (const event of world.events) {
    const at = event.occurredAt ?? event.receivedAt
    const r = random()
    if (r < 0.5) tickUntil(at)
    else if (r < 0.6) {
      clock = Math.max(clock, at - Math.floor(random() * 30_000))
      feed({ kind: 'tick' })
    }
    if (random() < 0.03) {
      policy = policy === policies[0] ? policies[1] : policies[0]
      feed({ kind: 'tick', reassess: true })
    }
    // Mostly several events at one time, as a shell's turn decides them (one clock reading a turn).
    if (random() < 0.3) clock = Math.max(clock, at)
    feed({ kind: 'event', event: { ...event, receivedAt: clock } })
  }
  tickUntil(world.end + 3 * 60 * 60_000)
  return steps
}

/**
 * Feeds the same inputs in batches of random sizes (a batch never spans a policy change: the shell
 * decides a batch with one policy) and checks every batch against the one-by-one run: the same
 * decisions for each input, ids included, and the same state, to its JSON text.
 */
function checkBatched(steps: readonly Step[], random: () => number): void {
  let state: AppState = emptyState(APP)
  for (let from = 0; from < steps.length; ) {
    const policy = (steps[from] as Step).policy
    let to = from + 1 + Math.floor(random() ** 2 * 40)
    for (let i = from + 1; i < Math.min(to, steps.length); i++)
      if ((steps[i] as Step).policy !== policy) to = i
    const batch = steps.slice(from, to)
    const result = decideAll(deepFreeze(state), batch, policy)
    expect(result.decisions).toEqual(batch.map((s) => s.decisions))
    expect(JSON.stringify(result.state)).toBe(JSON.stringify((batch.at(-1) as Step).after))
    state = result.state
    from += batch.length
  }
}

describe('deciding a batch of inputs', () => {
  it(
    'decides exactly as deciding them one by one, whatever the history and however it is cut',
    async () => {
      await assertProperty(
        fc.property(scriptArb, policyArb, policyArb, fc.integer(), (script, policy, reloaded, seed) => {
          const random = prng(seed)
          checkBatched(oneByOne(script, [policy, reloaded], random), random)
        }),
      )
    },
    TIMEOUT_MS,
  )

  it('decides a large app, whose tables grow within the batch, as one by one', () => {
    const policy = policyWith({})
    const inputs: TimedInput[] = []
    const event = (e: ReturnType<typeof created>): void => {
      inputs.push({ input: { kind: 'event', event: e }, now: e.receivedAt })
    }
    const at = (r: number, step: number): number => T0 + r * 1_000 + step
    for (let r = 0; r < 1_200; r++) {
      const roomId = `room-${r}`
      event(created({ streamId: `a-${r}`, roomId, at: at(r, 0), seq: 1 }))
      event(created({ streamId: `b-${r}`, roomId, at: at(r, 7), seq: 2 }))
      event(startMix({ taskId: `t-${r}`, roomId, at: at(r, 12), inputs: [`a-${r}`, `b-${r}`] }))
    }
    for (let r = 0; r < 1_200; r++) {
      const roomId = `room-${r}`
      event(closed({ streamId: `a-${r}`, roomId, at: at(1_200 + r, 0), seq: 3 }))
      event(closed({ streamId: `b-${r}`, roomId, at: at(1_200 + r, 11), seq: 4, reason: 1 }))
    }
    inputs.push({ input: { kind: 'tick' }, now: at(2_400, 3_600_000) })
    let one: AppState = emptyState(APP)
    const expected = inputs.map(({ input, now }) => {
      const step = decide(one, input, now, policy)
      one = step.state
      return step.decisions
    })
    let batched: AppState = emptyState(APP)
    const decisions: Decision[][] = []
    // Batches of 199: the last one holds the tick after 30 events.
    for (let i = 0; i < inputs.length; i += 199) {
      const result = decideAll(deepFreeze(batched), inputs.slice(i, i + 199), policy)
      batched = result.state
      decisions.push(...result.decisions)
    }
    expect(decisions).toEqual(expected)
    expect(expected.flat().length).toBeGreaterThan(0)
    expect(JSON.stringify(batched)).toBe(JSON.stringify(one))
    expect(Object.keys(batched.streams).length).toBeGreaterThan(64)
  })
})
