import { describe, expect, it } from 'vitest'
import { nextDeadline, pendingDecisions } from './decide.ts'
import { ROOM_CHECK_INTERVAL_MS, STOP_FLOOR_MS } from './limits.ts'
import { closed, created, driver, mixStarted, outcomeFor, policyWith, startMix, T0 } from './test-kit.ts'

function quietTasks() {
  const d = driver()
  d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1, receivedAt: T0 }), T0)
  d.event(created({ streamId: 's2', at: T0 - 4_000, seq: 2, receivedAt: T0 }), T0)
  d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], receivedAt: T0 }), T0)
  d.event(
    startMix({ taskId: 'task-b', at: T0, inputs: ['s2'], outputs: ['other'], userId: 'x', receivedAt: T0 }),
    T0,
  )
  return d
}

describe('silent tasks', () => {
  it('a running task with no news for silentTaskMs gets one room_streams check per room', () => {
    const d = quietTasks()
    const silentAt = T0 + d.policy.silentTaskMs
    expect(nextDeadline(d.state)).toBe(silentAt)
    expect(d.tick(silentAt - 1)).toEqual([])
    const checks = d.tick(silentAt)
    expect(checks).toHaveLength(1)
    expect(checks[0]).toMatchObject({
      action: 'verify',
      reason: 'silent',
      rule: 'room_streams',
      taskId: 'task-a',
      evidence: { note: 'r1', deadline: silentAt },
    })
    expect(pendingDecisions(d.state)).toEqual(checks)
    // Unanswered: no second check of the room before the answer is presumed lost.
    expect(d.tick(silentAt + ROOM_CHECK_INTERVAL_MS)).toEqual([])
  })

  it('a present stream resets the silence; an absent one is closed with the observedAbsent grace', () => {
    const d = quietTasks()
    const silentAt = T0 + d.policy.silentTaskMs
    d.tick(silentAt)
    const observedAt = silentAt + 300
    d.roomStreams('r1', ['s2'], observedAt)
    expect(pendingDecisions(d.state)).toEqual([])
    const due = observedAt + Math.max(d.policy.graceMs.observedAbsent, STOP_FLOOR_MS)
    expect(d.task('task-a')?.due.stopAt).toBe(due)
    expect(d.task('task-b')?.due.silentAt).toBe(observedAt + d.policy.silentTaskMs)
    expect(d.tickAnswered(due, { r1: ['s2'] })).toMatchObject([
      { action: 'stop', taskId: 'task-a', reason: 'orphaned', rule: 'grace:observed_absent' },
    ])
  })

  it('a later create callback wins over an older observation', () => {
    const d = quietTasks()
    const silentAt = T0 + d.policy.silentTaskMs
    d.tick(silentAt)
    d.roomStreams('r1', ['s2'], silentAt + 300)
    d.event(created({ streamId: 's1', sid: 'new', at: silentAt + 1_000, seq: 5 }))
    expect(d.task('task-a')?.due.stopAt).toBeNull()
    expect(d.tick(silentAt + 120_000)).toEqual([])
  })

  it('an older callback does not override a newer observation; an observed stream cancels a pending deadline', () => {
    const d = quietTasks()
    d.event(closed({ streamId: 's1', at: T0 + 1_000, seq: 3, reason: 1 }))
    expect(d.task('task-a')?.due.stopAt).toBe(T0 + 1_000 + d.policy.graceMs.reconnectable)
    d.roomStreams('r1', ['s1', 's2'], T0 + 20_000)
    expect(d.task('task-a')?.due.stopAt).toBeNull()
    d.event(closed({ streamId: 's1', at: T0 + 1_000, seq: 3, reason: 1 }), T0 + 21_000)
    expect(d.tick(T0 + 200_000)).toEqual([])
  })

  it('respects ZEGO’s one list per 10 s per room', () => {
    const d = driver(policyWith({ silentTaskMs: 5_000 }))
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1, receivedAt: T0 }), T0)
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], receivedAt: T0 }), T0)
    expect(d.tick(T0 + 5_000)).toHaveLength(1)
    d.roomStreams('r1', ['s1'], T0 + 5_100)
    // Silent again 5 s after the answer, but the room was listed less than 10 s ago: ZEGO counts the
    // 10 s from the list it received (its answer, T0 + 5,100), not from when we decided to ask.
    expect(nextDeadline(d.state)).toBe(T0 + 5_100 + ROOM_CHECK_INTERVAL_MS)
    expect(d.tick(T0 + 10_100)).toEqual([])
    expect(d.tick(T0 + 5_000 + ROOM_CHECK_INTERVAL_MS)).toEqual([])
    expect(d.tick(T0 + 5_100 + ROOM_CHECK_INTERVAL_MS)).toMatchObject([
      { rule: 'room_streams', evidence: { note: 'r1' } },
    ])
  })

  /** A task silent since T0: the silence check of its room at `first`. */
  function silentCheck() {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1, receivedAt: T0 }), T0)
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], receivedAt: T0 }), T0)
    const first = T0 + d.policy.silentTaskMs
    const [check] = d.tick(first)
    if (check === undefined) throw new Error('no check')
    return { d, first, check }
  }

  it('a check never answered lapses a silentTaskMs after its decision; the room is asked again then', () => {
    const { d, first } = silentCheck()
    // No answer and no outcome: the check is lost.
    expect(d.tick(first + ROOM_CHECK_INTERVAL_MS)).toEqual([])
    expect(nextDeadline(d.state)).toBe(first + d.policy.silentTaskMs)
    expect(d.tick(first + d.policy.silentTaskMs)).toMatchObject([
      { rule: 'room_streams', evidence: { note: 'r1' } },
    ])
  })

  it('after a failed check the room waits a full silentTaskMs, not just 10 s', () => {
    const { d, first, check } = silentCheck()
    const failedAt = first + 50
    d.outcome(outcomeFor(check, 'failed_permanent', failedAt, 'DescribeSimpleStreamList'))
    expect(pendingDecisions(d.state)).toEqual([])
    expect(d.tick(first + ROOM_CHECK_INTERVAL_MS)).toEqual([])
    expect(nextDeadline(d.state)).toBe(failedAt + d.policy.silentTaskMs)
    expect(d.tick(failedAt + d.policy.silentTaskMs)).toHaveLength(1)
  })

  it('checks a silent task with no known room through GetMixTaskInfo; already_gone ends it', () => {
    const d = driver()
    d.event(mixStarted({ taskId: 'roomless', at: T0, roomId: null, seq: 1 }), T0)
    const silentAt = T0 + d.policy.silentTaskMs
    const [verify] = d.tick(silentAt)
    expect(verify).toMatchObject({
      action: 'verify',
      reason: 'silent',
      rule: 'get_mix_task_info',
      taskId: 'roomless',
    })
    if (verify === undefined) throw new Error('no verify')
    expect(d.tick(silentAt + d.policy.silentTaskMs)).toEqual([])
    d.outcome(outcomeFor(verify, 'still_running', silentAt + 100))
    expect(d.task('roomless')?.phase).toBe('running')
    expect(nextDeadline(d.state)).toBe(silentAt + 100 + d.policy.silentTaskMs)
    const [again] = d.tick(silentAt + 100 + d.policy.silentTaskMs)
    if (again === undefined) throw new Error('no second verify')
    d.outcome(outcomeFor(again, 'already_gone', silentAt + 200 + d.policy.silentTaskMs))
    expect(d.task('roomless')?.phase).toBe('stopped')
  })
})
