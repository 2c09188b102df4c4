import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { nextDeadline, pendingDecisions } from './decide.ts'
import { MAX_STOP_ATTEMPTS } from './limits.ts'
import { closed, created, driver, mixStopped, outcomeFor, startMix, T0 } from './test-kit.ts'

const STOP_AT = T0 + 10_000 + 10_000

function stopped() {
  const d = driver()
  d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
  d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] }))
  d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
  const [stop] = d.tickAnswered(STOP_AT)
  if (stop === undefined) throw new Error('no stop decided')
  return { d, stop }
}

const only = (decisions: Decision[]): Decision => {
  expect(decisions).toHaveLength(1)
  return decisions[0] as Decision
}

/** Answers each stop with `fail` until no stop follows; every stop decided, the first included. */
function restops(first: Decision, fail: (stop: Decision) => Decision[]): Decision[] {
  const stops = [first]
  for (let next = fail(first); next.length > 0; next = fail(stops.at(-1) as Decision)) {
    const again = only(next)
    expect(again).toMatchObject({ action: 'stop', reason: first.reason, rule: first.rule })
    stops.push(again)
  }
  return stops
}

describe('after a stop decision', () => {
  it('the task is stopping and the stop is pending until its outcome', () => {
    const { d, stop } = stopped()
    expect(d.task('task-a')?.phase).toBe('stopping')
    expect(pendingDecisions(d.state)).toEqual([stop])
    expect(d.tick(STOP_AT + 60_000)).toEqual([])
  })

  it('a success awaits mix_stop; with it, no verification', () => {
    const { d, stop } = stopped()
    d.outcome(outcomeFor(stop, 'stopped', STOP_AT + 200))
    expect(d.task('task-a')?.phase).toBe('stop_requested_ok')
    expect(pendingDecisions(d.state)).toEqual([])
    expect(nextDeadline(d.state)).toBe(STOP_AT + 200 + d.policy.verifyAfterStopMs)
    d.event(mixStopped({ taskId: 'task-a', at: STOP_AT + 300, seq: 9 }))
    expect(d.task('task-a')?.phase).toBe('stopped')
    expect(d.tick(STOP_AT + 200 + d.policy.verifyAfterStopMs)).toEqual([])
  })

  it('without mix_stop, verifies with GetMixTaskInfo; already_gone closes the task', () => {
    const { d, stop } = stopped()
    d.outcome(outcomeFor(stop, 'already_gone', STOP_AT + 200))
    const verifyAt = STOP_AT + 200 + d.policy.verifyAfterStopMs
    expect(d.tick(verifyAt - 1)).toEqual([])
    const verify = only(d.tick(verifyAt))
    expect(verify).toMatchObject({
      action: 'verify',
      taskId: 'task-a',
      reason: 'unconfirmed_stop',
      rule: 'get_mix_task_info',
      evidence: { deadline: verifyAt },
    })
    expect(pendingDecisions(d.state)).toEqual([verify])
    expect(d.tick(verifyAt + 60_000)).toEqual([])
    d.outcome(outcomeFor(verify, 'already_gone', verifyAt + 100))
    expect(d.task('task-a')?.phase).toBe('stopped')
    expect(pendingDecisions(d.state)).toEqual([])
  })

  it(`still_running after our successful stop stops again, at most ${MAX_STOP_ATTEMPTS} times, then stays surfaced`, () => {
    const { d, stop } = stopped()
    let now = STOP_AT
    const verifies: Decision[] = []
    const stops = restops(stop, (current) => {
      now += 1_000
      d.outcome(outcomeFor(current, 'stopped', now))
      now += d.policy.verifyAfterStopMs
      const verify = only(d.tick(now))
      verifies.push(verify)
      now += 100
      return d.outcome(outcomeFor(verify, 'still_running', now))
    })
    for (const [i, again] of stops.slice(1).entries())
      expect(again.evidence.eventIds).toContain(`decision:${verifies[i]?.id}`)
    expect(new Set(stops.map((x) => x.id)).size).toBe(MAX_STOP_ATTEMPTS)
    expect(d.task('task-a')).toMatchObject({
      phase: 'stop_failed',
      problem: `still_running_after_${MAX_STOP_ATTEMPTS}_stops`,
    })
    expect(d.tick(now + 3_600_000 - 1)).toEqual([])
  })

  it('a permanent failure marks the task stop_failed and is never looped', () => {
    const { d, stop } = stopped()
    d.outcome({ ...outcomeFor(stop, 'failed_permanent', STOP_AT + 500), errorCode: 'ZEGO_AUTH' })
    expect(d.task('task-a')).toMatchObject({
      phase: 'stop_failed',
      problem: 'stop_failed_permanent:ZEGO_AUTH',
    })
    expect(pendingDecisions(d.state)).toEqual([])
    expect(d.tick(STOP_AT + 3_000_000)).toEqual([])
  })

  it(`a stop whose retries gave up (two 'signature expired' in a row) is decided again, at most ${MAX_STOP_ATTEMPTS} StopMix decisions, then stop_failed`, () => {
    // The zego-faults drill: ZEGO answered one StopMix 110200001, then 100000004 twice; the executor
    // allows one retry of an expired signature, so it gave up within a second, and the orphan ran on
    // until ZEGO's own idle end.
    const { d, stop } = stopped()
    let now = STOP_AT
    const stops = restops(stop, (current) => {
      now += 1_000
      const next = d.outcome({
        ...outcomeFor(current, 'gave_up', now),
        zegoCode: 100000004,
        errorCode: 'ZEGO_SIGNATURE_EXPIRED',
      })
      expect(pendingDecisions(d.state)).toEqual(next)
      return next
    })
    for (const [i, again] of stops.slice(1).entries())
      expect(again.evidence.eventIds).toContain(`decision:${stops[i]?.id}`)
    expect(new Set(stops.map((x) => x.id)).size).toBe(MAX_STOP_ATTEMPTS)
    expect(d.task('task-a')).toMatchObject({
      phase: 'stop_failed',
      problem: 'stop_gave_up:ZEGO_SIGNATURE_EXPIRED',
    })
    expect(d.tick(now + 3_000_000)).toEqual([])
  })

  it('retrying changes nothing; an outcome for another or an old decision is ignored', () => {
    const { d, stop } = stopped()
    d.outcome(outcomeFor(stop, 'retrying', STOP_AT + 100), STOP_AT)
    expect(d.task('task-a')).toMatchObject({ phase: 'stopping', pending: stop })
    const before = d.state
    d.outcome({ ...outcomeFor(stop, 'stopped', STOP_AT + 100), decisionId: 'f'.repeat(64) }, STOP_AT)
    expect(d.state.tasks).toEqual(before.tasks)
    d.outcome(outcomeFor(stop, 'stopped', STOP_AT + 200))
    const settled = d.state
    d.outcome(outcomeFor(stop, 'failed_permanent', STOP_AT + 300), STOP_AT + 200)
    expect(d.task('task-a')?.phase).toBe('stop_requested_ok')
    expect(d.state.tasks).toEqual(settled.tasks)
  })

  it('a StartMix after our stop succeeded is a new run, not something to stop again', () => {
    const { d, stop } = stopped()
    d.outcome(outcomeFor(stop, 'stopped', STOP_AT + 200))
    d.event(created({ streamId: 's1', at: STOP_AT + 1_000, seq: 3 }))
    d.event(startMix({ taskId: 'task-a', at: STOP_AT + 2_000, inputs: ['s1'] }))
    expect(d.task('task-a')).toMatchObject({ phase: 'running', stopAttempts: 0, verifyAt: null })
    expect(d.tick(STOP_AT + 200_000)).toEqual([])
  })
})
