import type { Decision, ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, nextDeadline } from './decide.ts'
import { STOP_FLOOR_MS } from './limits.ts'
import type { AppState, CoreInput } from './model.ts'
import { emptyState } from './model.ts'
import { assertProperty, timeoutFor } from './test-depth.ts'
import { APP, closed, created, isRoomCheck, policyWith, startMix, T0 } from './test-kit.ts'

const TIMEOUT_MS = timeoutFor(100)

const CLOSE_AT = T0 + 60_000

/** One input of a burst: its close (ZEGO's time, when we receive it), and maybe its publisher's return. */
interface Input {
  jitterMs: number
  reason: 0 | 4
  receivedAfterMs: number
  /** The stream is published again this long after its close; its create arrives `createAfterMs` later, or never. */
  back: { afterMs: number; createAfterMs: number | null } | null
}

const inputArb: fc.Arbitrary<Input> = fc.record({
  jitterMs: fc.nat(300),
  reason: fc.constantFrom(0 as const, 0 as const, 4 as const),
  // Up to ZEGO's third retry (2 + 4 + 8 s) and a loaded pipeline's way to the core.
  receivedAfterMs: fc.oneof(fc.nat(3_000), fc.nat(16_000)),
  back: fc.option(
    fc.record({
      afterMs: fc.nat(120_000),
      createAfterMs: fc.option(fc.nat(20_000), { nil: null }),
    }),
    { nil: null, freq: 2 },
  ),
})

const burstArb = fc.record({
  inputs: fc.array(inputArb, { minLength: 1, maxLength: 12 }),
  graceMs: fc.constantFrom(0, 2_000, 5_000, 10_000),
})

type Burst = typeof burstArb extends fc.Arbitrary<infer T> ? T : never

/**
 * Task t<i> mixes stream s<i> of r1. Every stream closes at about one ZEGO time; the closes reach the
 * core in any order over up to 16 s; some publishers come back, their create delivered late or lost.
 * A shell with a perfect timer, and a ZEGO that answers each list at once with the truth.
 */
function run({ inputs, graceMs }: Burst) {
  const policy = policyWith({ graceMs: { ...policyWith({}).graceMs, normal: graceMs } })
  let state: AppState = emptyState(APP)
  const decisions: Decision[] = []
  const feed = (input: CoreInput, now: number): Decision[] => {
    const step = decide(state, input, now, policy)
    state = step.state
    decisions.push(...step.decisions)
    return step.decisions
  }
  const n = inputs.length
  inputs.forEach((_, i) => {
    feed({ kind: 'event', event: created({ streamId: `s${i}`, at: T0 + i, seq: i + 1 }) }, T0 + i)
    const start = startMix({ taskId: `t${i}`, at: T0 + 1_000 + i, inputs: [`s${i}`], userId: `u${i}` })
    feed({ kind: 'event', event: start }, start.receivedAt)
  })
  const closeAt = (i: number) => CLOSE_AT + (inputs[i]?.jitterMs ?? 0)
  const backAt = (i: number) => {
    const back = inputs[i]?.back
    return back ? closeAt(i) + back.afterMs : null
  }
  const liveAt = (i: number, t: number) => {
    const b = backAt(i)
    return t < closeAt(i) || (b !== null && t >= b)
  }
  const deliveries: { event: ZegoEvent; at: number }[] = []
  inputs.forEach((input, i) => {
    const at = closeAt(i) + input.receivedAfterMs
    const close = closed({
      streamId: `s${i}`,
      at: closeAt(i),
      seq: n + i + 1,
      reason: input.reason,
      receivedAt: at,
    })
    deliveries.push({ event: close, at })
    const b = backAt(i)
    if (b !== null && input.back?.createAfterMs != null) {
      const createdAt = b + input.back.createAfterMs
      const recreate = input.reason === 4 && (input.back.afterMs ?? 0) < 90_000
      const event = created({ streamId: `s${i}`, at: b, seq: 2 * n + i + 1, recreate, receivedAt: createdAt })
      deliveries.push({ event, at: createdAt })
    }
  })
  deliveries.sort((a, b) => a.at - b.at)
  const tick = (now: number) => {
    for (const check of feed({ kind: 'tick' }, now).filter(isRoomCheck)) {
      const listed = inputs.flatMap((_, i) => (liveAt(i, now) ? [`s${i}`] : []))
      feed(
        { kind: 'room_streams', roomId: check.evidence.note ?? '', streamIds: listed, observedAt: now },
        now,
      )
    }
  }
  const until = (t: number) => {
    for (let due = nextDeadline(state); due !== null && due <= t; due = nextDeadline(state)) tick(due)
  }
  for (const { event, at } of deliveries) {
    until(at)
    feed({ kind: 'event', event }, at)
  }
  until(CLOSE_AT + 400_000)
  const stops = decisions.filter((d) => d.action === 'stop')
  return { policy, stops, closeAt, backAt, liveAt }
}

describe('bursts of orphans in one room (property)', () => {
  it(
    'no stop misses a return inside the grace or one whose create came; every orphan is stopped on a list',
    async () => {
      await assertProperty(
        fc.property(burstArb, (burst) => {
          const { policy, stops, closeAt, backAt } = run(burst)
          const { inputs } = burst
          for (const stop of stops) {
            const i = Number(stop.taskId.slice(1))
            const input = inputs[i] as Input
            const grace = input.reason === 4 ? policy.graceMs.reconnectable : policy.graceMs.normal
            const b = backAt(i)
            if (b === null) continue
            // A return inside the grace (less the burst window) is always seen: a list confirms only
            // when taken after it, or the floor's wait for its create covers it.
            expect(b, `${stop.taskId} stopped though it came back inside its grace`).toBeGreaterThanOrEqual(
              closeAt(i) + grace - STOP_FLOOR_MS,
            )
            // A return whose create reached the core before the stop is never missed.
            const createdAt = input.back?.createAfterMs == null ? null : b + input.back.createAfterMs
            expect(createdAt === null || createdAt > stop.decidedAt, `${stop.taskId} stopped live`).toBe(true)
          }
          // Every task whose input never came back is stopped, each on a list (ZEGO answered them all).
          inputs.forEach((input, i) => {
            if (input.back !== null) return
            const stop = stops.find((s) => s.taskId === `t${i}`)
            expect(stop?.rule, `t${i} orphaned but not stopped on a list`).toMatch(/^grace:[a-z_]+$/)
          })
        }),
      )
    },
    TIMEOUT_MS,
  )
})
