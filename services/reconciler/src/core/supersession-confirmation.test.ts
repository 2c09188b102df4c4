import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { created, driver, mixStarted, mixStopped, outcomeFor, startMix, T0 } from './test-kit.ts'

/** A live task started through the passthrough (ZEGO accepted it), its input stream live. */
function liveTask() {
  const d = driver()
  d.event(created({ streamId: 's1', at: T0 - 10_000, seq: 1 }))
  d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'], userId: 'alice' }))
  return d
}

/** A mix_start naming another task with task-a's output, as a forger would send it. */
const forged = (at = T0 + 60_000) =>
  mixStarted({ taskId: 'forged', at, userId: 'mallory', roomId: 'r9', output: 'show', seq: 1 })

describe('supersession by a task known from callbacks alone is confirmed with GetMixTaskInfo', () => {
  it('a forged mix_start sharing a live task’s output stops nothing: ZEGO does not know the task', () => {
    const d = liveTask()
    const decisions = d.event(forged())
    expect(decisions).toHaveLength(1)
    const check = decisions[0] as Decision
    expect(check).toMatchObject({
      action: 'verify',
      taskId: 'forged',
      reason: 'superseded',
      rule: 'superseding_run',
      command: { call: 'GetMixTaskInfo', taskId: 'forged', lane: 'urgent' },
    })
    expect(d.task('task-a')?.phase).toBe('running')
    expect(d.outcome(outcomeFor(check, 'already_gone', T0 + 60_200))).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
    // Nothing fires later either.
    expect(d.tick(T0 + 600_000).filter((x) => x.action === 'stop')).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('a newer task ZEGO reports running supersedes at once, the check named in the evidence', () => {
    const d = liveTask()
    const [check] = d.event(forged())
    const stops = d.outcome(outcomeFor(check as Decision, 'still_running', T0 + 60_200))
    expect(stops).toMatchObject([
      {
        action: 'stop',
        taskId: 'task-a',
        reason: 'superseded',
        rule: 'shared_output',
        evidence: { supersededBy: 'forged' },
        command: { call: 'StopMix', taskId: 'task-a', userId: 'alice', lane: 'urgent' },
      },
    ])
    expect(stops[0]?.evidence.eventIds).toContain(`get_mix_task_info:forged@${T0 + 60_200}`)
  })

  it('a check that cannot be answered falls back to the callbacks alone, marked +unconfirmed', () => {
    const d = liveTask()
    const [check] = d.event(forged())
    expect(d.outcome(outcomeFor(check as Decision, 'gave_up', T0 + 90_000))).toMatchObject([
      {
        action: 'stop',
        taskId: 'task-a',
        rule: 'shared_output+unconfirmed',
        evidence: { supersededBy: 'forged' },
      },
    ])
  })

  it('a StartMix ZEGO accepted confirms the newer task: no check, the stop at once', () => {
    const d = liveTask()
    d.event(created({ streamId: 's2', at: T0 - 10_000, seq: 2 }))
    const [check] = d.event(forged())
    expect(check?.command?.call).toBe('GetMixTaskInfo')
    const accepted = startMix({ taskId: 'forged', at: T0 + 60_100, inputs: ['s2'], outputs: ['show'] })
    expect(d.event(accepted)).toMatchObject([{ action: 'stop', taskId: 'task-a', rule: 'shared_output' }])
  })

  it('the accepted StartMix answers the pending check: the newer task’s silence is checked again', () => {
    const d = liveTask()
    d.event(created({ streamId: 's2', at: T0 - 10_000, seq: 2 }))
    d.event(forged())
    d.event(startMix({ taskId: 'forged', at: T0 + 60_100, inputs: ['s2'], outputs: ['show'] }))
    expect(d.task('forged')?.pending).toBeNull()
    // No outcome of the GetMixTaskInfo ever comes: news of its input stops, and its room is listed.
    const silentAt = d.task('forged')?.due.silentAt ?? Number.POSITIVE_INFINITY
    expect(silentAt).toBeLessThan(T0 + 60_100 + d.policy.silentTaskMs + 1_000)
    expect(d.tick(silentAt)).toMatchObject([
      { taskId: 'forged', action: 'verify', reason: 'silent', command: { call: 'DescribeSimpleStreamList' } },
    ])
  })

  it('a held mix_stop keeps the check pending after the accepted StartMix: its answer decides the claim', () => {
    const d = liveTask()
    d.event(created({ streamId: 's2', at: T0 - 10_000, seq: 2 }))
    const [check] = d.event(forged())
    d.event(mixStopped({ taskId: 'forged', at: T0 + 60_050, seq: 2 }))
    d.event(startMix({ taskId: 'forged', at: T0 + 60_100, inputs: ['s2'], outputs: ['show'] }))
    expect(d.task('forged')?.pending?.id).toBe(check?.id)
  })

  it('a StartMix ZEGO refused confirms nothing', () => {
    const d = liveTask()
    const [check] = d.event(forged())
    const refused = startMix({ taskId: 'forged', at: T0 + 60_100, outputs: ['show'], code: 110200150 })
    expect(d.event(refused)).toEqual([])
    expect(d.outcome(outcomeFor(check as Decision, 'already_gone', T0 + 60_200))).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
  })
})
