import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { decide, decideAll, nextDeadline, type TimedInput } from './decide.ts'
import { RETENTION_MS, SWEEP_INTERVAL_MS } from './limits.ts'
import { emptyState } from './model.ts'
import { tget, tkeys } from './table.ts'
import {
  APP,
  closed,
  created,
  deepFreeze,
  driver,
  mixStarted,
  mixStopped,
  outcomeFor,
  policyWith,
  roomClosed,
  startMix,
  T0,
} from './test-kit.ts'

/** A task stopped at T0 + 5 s, its input closed at T0 + 6 s and its room r1 closed at T0 + 7 s. */
function allEnded() {
  const d = driver()
  d.event(created({ streamId: 's1', at: T0, seq: 1 }))
  d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'] }))
  const [check] = d.event(mixStopped({ taskId: 'task-a', at: T0 + 5_000, seq: 2 }))
  d.outcome(outcomeFor(check as Decision, 'already_gone', T0 + 5_000))
  d.event(closed({ streamId: 's1', at: T0 + 6_000, seq: 2 }))
  d.event(roomClosed({ at: T0 + 7_000 }))
  return d
}

describe('retention', () => {
  it('forgets a stopped task, its closed streams and its room an hour after they ended', () => {
    const d = allEnded()
    expect(d.tick(T0 + 5_000 + RETENTION_MS - 1)).toEqual([])
    expect(tkeys(d.state.tasks)).toEqual(['task-a'])
    const end = T0 + 7_000
    const sweep = nextDeadline(d.state)
    expect(sweep).not.toBeNull()
    d.tick(Math.max(sweep ?? 0, end + RETENTION_MS))
    expect(d.state).toEqual(emptyState(APP))
    expect(nextDeadline(d.state)).toBeNull()
  })

  it('a record the sweep forgot is made anew by a later input of the same batch', () => {
    const d = allEnded()
    const at = Math.max(nextDeadline(d.state) ?? 0, T0 + 7_000 + RETENTION_MS)
    // The tick's sweep writes room r1 (drops its old close), then forgets it; a stream comes back to r1.
    const inputs: TimedInput[] = [
      { input: { kind: 'tick' }, now: at },
      { input: { kind: 'event', event: created({ streamId: 's2', at, seq: 1, session: 'rs2' }) }, now: at },
    ]
    let oneByOne = d.state
    for (const { input, now } of inputs) oneByOne = decide(oneByOne, input, now, d.policy).state
    const batch = decideAll(deepFreeze(d.state), inputs, d.policy).state
    expect(tget(batch.rooms, 'r1')).toMatchObject({ roomId: 'r1', touchedAt: at, closed: {} })
    expect(JSON.stringify(batch)).toBe(JSON.stringify(oneByOne))
  })

  it('within the retention a late duplicate revives nothing', () => {
    const d = driver()
    const create = created({ streamId: 's1', at: T0, seq: 1 })
    const start = mixStarted({ taskId: 'task-a', at: T0 + 1_000, seq: 5 })
    d.event(create)
    d.event(start)
    const [check] = d.event(mixStopped({ taskId: 'task-a', at: T0 + 5_000, seq: 6 }))
    d.outcome(outcomeFor(check as Decision, 'already_gone', T0 + 5_000))
    d.event(closed({ streamId: 's1', at: T0 + 6_000, seq: 2 }))
    const late = T0 + RETENTION_MS - 60_000
    d.tick(late)
    d.event(start, late)
    d.event(create, late)
    expect(d.task('task-a')?.phase).toBe('stopped')
    expect(d.stream('s1')?.facts).toBeDefined()
  })

  it('stays bounded under a steady churn of streams', () => {
    const d = driver()
    let now = T0
    let most = 0
    for (let i = 0; i < 600; i++) {
      now += 60_000
      d.event(created({ streamId: `s${i}`, at: now, seq: 2 * i + 1 }))
      d.event(closed({ streamId: `s${i}`, at: now + 10_000, seq: 2 * i + 2 }))
      const due = nextDeadline(d.state)
      if (due !== null && due <= now + 10_000) d.tick(now + 10_000)
      most = Math.max(most, tkeys(d.state.streams).length)
    }
    // Ten hours of one stream a minute: never more than the last hour and a sweep interval of them.
    expect(most).toBeLessThanOrEqual((RETENTION_MS + SWEEP_INTERVAL_MS) / 60_000 + 1)
  })

  it('keeps the streams a still-running task reads, however old', () => {
    const d = driver(policyWith({ pinnedTaskIds: ['task-a'] }))
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'] }))
    d.event(closed({ streamId: 's1', at: T0 + 6_000, seq: 2 }))
    d.tick(T0 + 5 * RETENTION_MS)
    expect(d.stream('s1')).toBeDefined()
    expect(d.task('task-a')?.phase).toBe('running')
  })
})
