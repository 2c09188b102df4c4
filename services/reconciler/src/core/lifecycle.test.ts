import type { Decision } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { CALLBACK_TIME_SLACK_MS } from './limits.ts'
import {
  closed,
  created,
  driver,
  mixStarted,
  mixStopped,
  outcomeFor,
  startMix,
  stopMix,
  T0,
} from './test-kit.ts'

function orphanedTask() {
  const d = driver()
  d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
  d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] }))
  d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
  return d
}

describe('task lifecycle', () => {
  it('mix_stop marks a task stopped: no stop decision for it', () => {
    const d = orphanedTask()
    // For a task we believe runs, ZEGO is asked first (reported-stops.ts): here it is gone.
    const [check] = d.event(mixStopped({ taskId: 'task-a', at: T0 + 12_000, seq: 2 }))
    d.outcome(outcomeFor(check as Decision, 'already_gone', T0 + 12_500))
    expect(d.task('task-a')?.phase).toBe('stopped')
    expect(d.tick(T0 + 300_000)).toEqual([])
  })

  it('a late mix_start with the same or a lower seq than the mix_stop does not revive the task', () => {
    const d = driver()
    d.event(mixStopped({ taskId: 'task-a', at: T0 + 20_000, seq: 7 }))
    d.event(mixStarted({ taskId: 'task-a', at: T0, seq: 7, receivedAt: T0 + 25_000 }))
    d.event(mixStarted({ taskId: 'task-a', at: T0, seq: 6, receivedAt: T0 + 25_000 }))
    expect(d.task('task-a')?.phase).toBe('stopped')
    d.event(mixStarted({ taskId: 'task-a', at: T0 + 40_000, seq: 8 }))
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it("a customer's own successful StopMix marks the task stopped", () => {
    const d = orphanedTask()
    d.event(stopMix({ taskId: 'task-a', at: T0 + 11_000 }))
    expect(d.task('task-a')?.phase).toBe('stopped')
    expect(d.tick(T0 + 300_000)).toEqual([])
  })

  it('a StopMix ZEGO refused changes nothing', () => {
    const d = orphanedTask()
    d.event(stopMix({ taskId: 'task-a', at: T0 + 11_000, code: 110200001 }))
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('a duplicate of the StartMix after a stop does not revive the task; a new StartMix does', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    const start = startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] })
    d.event(start)
    d.event(stopMix({ taskId: 'task-a', at: T0 + 10_000 }))
    d.event(start, T0 + 20_000)
    expect(d.task('task-a')?.phase).toBe('stopped')
    d.event(startMix({ taskId: 'task-a', at: T0 + 30_000, inputs: ['s1'] }))
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('a mix_stop of an earlier run does not stop the run that followed it', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] }))
    d.event(stopMix({ taskId: 'task-a', at: T0 + 10_000 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 30_000, inputs: ['s1'] }))
    d.event(mixStopped({ taskId: 'task-a', at: T0 + 10_000, seq: 3, receivedAt: T0 + 31_000 }))
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('mix_start creates a task with unknown inputs when no StartMix was recorded', () => {
    const d = driver()
    d.event(mixStarted({ taskId: 'sdk', at: T0, roomId: 'r9', userId: 'host', output: 'o', seq: 1 }))
    expect(d.task('sdk')).toMatchObject({
      phase: 'running',
      inputs: null,
      roomId: 'r9',
      userId: 'host',
      outputs: ['stream:o'],
    })
  })

  it('ignores events of another app', () => {
    const d = driver()
    const foreign = { ...mixStarted({ taskId: 'x', at: T0, seq: 1 }), appId: 9999 }
    d.event(foreign)
    expect(d.task('x')).toBeUndefined()
  })

  it('dates a run by the set of its start facts, whatever their order: exact times, unless a callback proves earlier', () => {
    const factArb = fc.record({ exact: fc.boolean(), offset: fc.integer({ min: 0, max: 4_000 }) })
    fc.assert(
      fc.property(
        fc.array(factArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { minLength: 6, maxLength: 6 }),
        (facts, shuffle) => {
          const events = facts.map(({ exact, offset }, i) =>
            exact
              ? startMix({ taskId: 'task-a', at: T0 + offset, inputs: [`s${i}`] })
              : mixStarted({ taskId: 'task-a', at: T0 + offset }),
          )
          const shuffled = [...events]
          for (let i = shuffled.length - 1; i > 0; i--) {
            const j = (shuffle[i] ?? 0) % (i + 1)
            ;[shuffled[i], shuffled[j]] = [
              shuffled[j] as (typeof events)[number],
              shuffled[i] as (typeof events)[number],
            ]
          }
          const run = (order: typeof events) => {
            const d = driver()
            for (const event of order) d.event(event, T0 + 10_000)
            const r = d.task('task-a')?.run
            return r && { startedAt: r.startedAt, precise: r.precise }
          }
          const exact = facts.filter((f) => f.exact).map((f) => T0 + f.offset)
          // Callback times are whole seconds (T0 is one).
          const floored = facts.filter((f) => !f.exact).map((f) => T0 + Math.floor(f.offset / 1000) * 1000)
          const firstExact = Math.min(...exact)
          const firstCallback = Math.min(...floored)
          const expected =
            firstCallback + CALLBACK_TIME_SLACK_MS <= firstExact
              ? { startedAt: firstCallback, precise: false }
              : { startedAt: firstExact, precise: true }
          expect(run(events)).toEqual(expected)
          expect(run(shuffled)).toEqual(expected)
        },
      ),
      { numRuns: 300 },
    )
  })
})
