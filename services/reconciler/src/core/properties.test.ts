import type { Decision, ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, nextDeadline } from './decide.ts'
import { STOP_FLOOR_MS } from './limits.ts'
import { type AppState, type CoreInput, emptyState, parseAppState } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { checkAll, policyArb } from './test-checks.ts'
import { assertProperty, timeoutFor } from './test-depth.ts'
import { APP } from './test-kit.ts'
import { buildWorld, prng, scriptArb, type World } from './test-world.ts'

const TIMEOUT_MS = timeoutFor(40, 15_000)

type Step = { input: CoreInput; now: number }

/**
 * Every callback permuted, some duplicated, some lost — except the StartMix/StopMix records (kept, in
 * their order, possibly duplicated) and the last callback of each stream (so each stream's liveness at
 * the end is known) — all arriving within
 * the stop floor after the world's end, with ticks in between; then time moves on past every grace.
 */
function lateBatch(world: World, seed: number): Step[] {
  const random = prng(seed)
  const copies: ZegoEvent[] = []
  for (const event of world.events) {
    const keep = world.apiRecords.has(event.id) || world.lastOfStream.has(event.id)
    if (!keep && random() < 0.2) continue
    copies.push(event)
    while (random() < 0.25) copies.push(event)
  }
  const api = copies.filter((event) => world.apiRecords.has(event.id))
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[copies[i], copies[j]] = [copies[j] as ZegoEvent, copies[i] as ZegoEvent]
  }
  // The passthrough's records are appended in the order of the calls: callbacks move around them.
  let next = 0
  for (const [i, event] of copies.entries())
    if (world.apiRecords.has(event.id)) copies[i] = api[next++] as ZegoEvent
  const spacing = Math.floor((STOP_FLOOR_MS - 1) / Math.max(1, copies.length))
  const steps: Step[] = []
  copies.forEach((event, i) => {
    const now = world.end + i * spacing
    steps.push({ input: { kind: 'event', event: { ...event, receivedAt: now } }, now })
    if (random() < 0.3) steps.push({ input: { kind: 'tick' }, now })
  })
  for (const later of [200_000, 400_000])
    steps.push({ input: { kind: 'tick' }, now: world.end + STOP_FLOOR_MS + later })
  return steps
}

function run(
  steps: Step[],
  policy: AppPolicy,
  restoreAt: number | null = null,
): { decisions: Decision[]; state: AppState } {
  let state = emptyState(APP)
  const decisions: Decision[] = []
  steps.forEach(({ input, now }, i) => {
    if (i === restoreAt) state = parseAppState(JSON.parse(JSON.stringify(state))) ?? emptyState(APP)
    const step = decide(state, input, now, policy)
    state = step.state
    decisions.push(...step.decisions)
  })
  return { decisions, state }
}

describe('properties of the decision core', () => {
  it(
    'whatever the order, duplication or loss of callbacks, never stops a task whose inputs are live',
    async () => {
      await assertProperty(
        fc.property(scriptArb, policyArb, fc.integer(), (script, policy, seed) => {
          const world = buildWorld(script)
          const { decisions } = run(lateBatch(world, seed), policy)
          checkAll(world, decisions, policy, () => world.end)
        }),
      )
    },
    TIMEOUT_MS,
  )

  it(
    'fed live, in order, with late duplicates and lost mix callbacks, every stop is right when it is made',
    async () => {
      await assertProperty(
        fc.property(scriptArb, policyArb, fc.integer(), (script, policy, seed) => {
          const world = buildWorld(script)
          const random = prng(seed)
          const arrivals: { event: ZegoEvent; at: number }[] = []
          for (const event of world.events) {
            const at = event.occurredAt ?? event.receivedAt
            const mixCallback = event.type === 'mix_started' || event.type === 'mix_stopped'
            if (mixCallback && random() < 0.3) continue
            arrivals.push({ event, at })
            if (random() < 0.2) arrivals.push({ event, at: at + Math.floor(random() * 600_000) })
          }
          arrivals.sort((a, b) => a.at - b.at)
          let state = emptyState(APP)
          const decisions: Decision[] = []
          const feed = (input: CoreInput, now: number) => {
            const step = decide(state, input, now, policy)
            state = step.state
            decisions.push(...step.decisions)
          }
          // A perfect shell timer: tick at every deadline that falls before the next arrival. A tick
          // always moves the next deadline past itself (the shell's timer never spins).
          const until = (t: number) => {
            for (let due = nextDeadline(state); due !== null && due <= t; due = nextDeadline(state)) {
              feed({ kind: 'tick' }, due)
              const next = nextDeadline(state)
              expect(next === null || next > due, `deadline ${next} not after the tick at ${due}`).toBe(true)
            }
          }
          for (const { event, at } of arrivals) {
            until(at)
            feed({ kind: 'event', event: { ...event, receivedAt: at } }, at)
          }
          until(world.end + 300_000)
          checkAll(world, decisions, policy, (d) => d.decidedAt)
        }),
      )
    },
    TIMEOUT_MS,
  )

  it(
    'the same complete history always yields the same decisions, also across a changelog restore',
    async () => {
      await assertProperty(
        fc.property(scriptArb, policyArb, fc.integer(), fc.nat(), (script, policy, seed, cut) => {
          const world = buildWorld(script)
          const steps = lateBatch(world, seed)
          const first = run(steps, policy)
          const second = run(steps, policy)
          expect(second).toEqual(first)
          expect(run(steps, policy, cut % steps.length).decisions).toEqual(first.decisions)
        }),
      )
    },
    TIMEOUT_MS,
  )
})
