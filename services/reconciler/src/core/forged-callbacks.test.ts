import type { CommandDecision, Decision, ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide } from './decide.ts'
import { type AppState, type CoreInput, emptyState } from './model.ts'
import type { AppPolicy } from './policy.ts'
import {
  APP,
  closed,
  created,
  driver,
  mixStarted,
  mixStopped,
  outcomeFor,
  policyWith,
  roomClosed,
  startMix,
  T0,
} from './test-kit.ts'

// 200 keeps the unit suite fast; CORE_PROPERTY_RUNS=5000 for a deeper search when the core changes.
const RUNS = Number(process.env.CORE_PROPERTY_RUNS ?? 200)

/** The live task: started through the passthrough (ZEGO accepted it), inputs s1 and s2 live in r1. */
const LIVE = 'task-a'
const LIVE_STREAMS = ['s1', 's2']

function liveTask(d: ReturnType<typeof driver>): void {
  d.event(created({ streamId: 's1', at: T0 - 10_000, seq: 1 }))
  d.event(created({ streamId: 's2', at: T0 - 10_000, seq: 2 }))
  d.event(startMix({ taskId: LIVE, at: T0, inputs: LIVE_STREAMS, outputs: ['show'], userId: 'svc' }))
}

describe('a mix_stop for a task we believe runs is verified with GetMixTaskInfo', () => {
  const reported = () => {
    const d = driver()
    liveTask(d)
    const decisions = d.event(mixStopped({ taskId: LIVE, at: T0 + 60_000, seq: 9 }))
    expect(decisions).toMatchObject([
      {
        action: 'verify',
        taskId: LIVE,
        reason: 'unconfirmed_stop',
        rule: 'mix_stop',
        command: { call: 'GetMixTaskInfo', taskId: LIVE },
      },
    ])
    expect(d.task(LIVE)?.phase).toBe('running')
    return { d, check: decisions[0] as Decision }
  }

  it('ZEGO says it runs: the mix_stop is dropped and the task stays supervised', () => {
    const { d, check } = reported()
    expect(d.outcome(outcomeFor(check, 'still_running', T0 + 60_300))).toEqual([])
    expect(d.task(LIVE)).toMatchObject({ phase: 'running', reportedStop: null })
    // Still supervised: its inputs going away gets it stopped as an orphan.
    d.event(closed({ streamId: 's1', at: T0 + 100_000, seq: 3 }))
    d.event(closed({ streamId: 's2', at: T0 + 100_000, seq: 4 }))
    expect(d.tickAnswered(T0 + 200_000)).toMatchObject([{ action: 'stop', taskId: LIVE, reason: 'orphaned' }])
  })

  it('ZEGO does not know it: the run ends', () => {
    const { d, check } = reported()
    d.outcome(outcomeFor(check, 'already_gone', T0 + 60_300))
    expect(d.task(LIVE)?.phase).toBe('stopped')
  })

  it('no answer: the run ends on the callback alone, as before', () => {
    const { d, check } = reported()
    d.outcome(outcomeFor(check, 'gave_up', T0 + 90_000))
    expect(d.task(LIVE)?.phase).toBe('stopped')
  })

  it('after our own StopMix, mix_stop is what we wait for: no check', () => {
    const d = driver()
    liveTask(d)
    d.event(closed({ streamId: 's1', at: T0 + 1_000, seq: 3 }))
    d.event(closed({ streamId: 's2', at: T0 + 1_000, seq: 4 }))
    const [stop] = d.tickAnswered(T0 + 100_000)
    d.outcome(outcomeFor(stop as Decision, 'stopped', T0 + 100_200))
    expect(d.event(mixStopped({ taskId: LIVE, at: T0 + 101_000, seq: 9 }))).toEqual([])
    expect(d.task(LIVE)?.phase).toBe('stopped')
  })
})

describe('a room_close against a task whose inputs are unknown is confirmed with the room’s stream list', () => {
  it('a forged room_close while the room still has live streams stops nothing', () => {
    const d = driver()
    d.event(mixStarted({ taskId: 'sdk', at: T0, roomId: 'r1', output: 'o', seq: 1 }))
    d.event(roomClosed({ at: T0 + 60_000 }))
    expect(d.tickAnswered(T0 + 120_000, { r1: ['host-stream'] })).toEqual([])
    expect(d.tickAnswered(T0 + 600_000, { r1: ['host-stream'] })).toEqual([])
    expect(d.task('sdk')?.phase).toBe('running')
  })
})

/** Arbitrary callbacks under any valid signature: random bodies naming the live task, its room, its streams. */
const forgedArb: fc.Arbitrary<(at: number) => ZegoEvent> = fc.oneof(
  fc
    .record({
      taskId: fc.constantFrom(LIVE, 'x', 'y'),
      output: fc.constantFrom('show', 'other', null),
      roomId: fc.constantFrom('r1', 'r2'),
      userId: fc.constantFrom('svc', 'mallory', null),
      seq: fc.integer({ min: 0, max: 20 }),
      back: fc.integer({ min: 0, max: 120_000 }),
    })
    .map((f) => (at: number) => mixStarted({ ...f, at: at - f.back, receivedAt: at })),
  fc
    .record({ taskId: fc.constantFrom(LIVE, 'x'), seq: fc.integer({ min: 0, max: 20 }) })
    .map((f) => (at: number) => mixStopped({ ...f, at, receivedAt: at })),
  fc
    .record({ roomId: fc.constantFrom('r1', 'r2'), session: fc.constantFrom('rs1', 'rs2') })
    .map((f) => (at: number) => roomClosed({ ...f, at, receivedAt: at })),
  fc
    .record({
      streamId: fc.constantFrom(...LIVE_STREAMS, 's9'),
      roomId: fc.constantFrom('r1', 'r2'),
      session: fc.constantFrom('rs1', 'rs2'),
      seq: fc.integer({ min: 0, max: 20 }),
      reason: fc.constantFrom(0, 1, 5, 100),
      create: fc.boolean(),
    })
    .map(
      (f) => (at: number) =>
        f.create ? created({ ...f, at, receivedAt: at }) : closed({ ...f, at, receivedAt: at }),
    ),
)

/**
 * ZEGO as it is: the live task runs, every other task does not exist, the room r1 lists the live
 * inputs and every other room nothing. Each decision is answered so (a stop of another task: done).
 */
function answer(decision: CommandDecision, at: number): CoreInput | null {
  const c = decision.command
  const outcome = (result: 'stopped' | 'still_running' | 'already_gone'): CoreInput => ({
    kind: 'outcome',
    outcome: outcomeFor(decision, result, at, c.call),
  })
  if (decision.action === 'would_stop') return null
  switch (c.call) {
    case 'StopMix':
      return outcome('stopped')
    case 'GetMixTaskInfo':
      return outcome(c.taskId === LIVE ? 'still_running' : 'already_gone')
    case 'DescribeSimpleStreamList':
      return {
        kind: 'room_streams',
        roomId: c.roomId,
        streamIds: c.roomId === 'r1' ? LIVE_STREAMS : [],
        observedAt: at,
      }
  }
}

function run(forged: ((at: number) => ZegoEvent)[], gaps: number[], policy: AppPolicy): CommandDecision[] {
  let state: AppState = emptyState(APP)
  const all: CommandDecision[] = []
  const feed = (input: CoreInput, now: number): void => {
    const queue: { input: CoreInput; now: number }[] = [{ input, now }]
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const step = decide(state, next.input, next.now, policy)
      state = step.state
      all.push(...step.decisions)
      for (const decision of step.decisions) {
        const reply = answer(decision, next.now + 100)
        if (reply !== null) queue.push({ input: reply, now: next.now + 100 })
        if (reply?.kind === 'room_streams') queue.push({ input: { kind: 'tick' }, now: next.now + 100 })
      }
    }
  }
  const d = driver(policy)
  liveTask(d)
  state = d.state
  let now = T0 + 1_000
  forged.forEach((make, i) => {
    now += gaps[i] ?? 1_000
    feed({ kind: 'event', event: make(now) }, now)
    feed({ kind: 'tick' }, now)
  })
  for (const later of [60_000, 300_000, 3_600_000]) feed({ kind: 'tick' }, now + later)
  return all
}

describe('forged callbacks (property)', () => {
  it('no sequence of forged callbacks stops a task ZEGO reports running with live inputs', () => {
    fc.assert(
      fc.property(
        fc.array(forgedArb, { minLength: 1, maxLength: 25 }),
        fc.array(fc.integer({ min: 0, max: 120_000 }), { minLength: 25, maxLength: 25 }),
        fc.record({ empty: fc.boolean(), sweep: fc.boolean(), dryRun: fc.boolean() }),
        (forged, gaps, p) => {
          const policy = policyWith({
            dryRun: p.dryRun,
            rooms: { ...policyWith({}).rooms, stopWhenRoomEmpty: p.empty },
            roomSweep: { enabled: p.sweep, listShare: 0.5 },
          })
          const stops = run(forged, gaps, policy).filter(
            (x) => x.taskId === LIVE && (x.action === 'stop' || x.action === 'would_stop'),
          )
          expect(stops).toEqual([])
        },
      ),
      { numRuns: RUNS },
    )
  }, 60_000)
})
