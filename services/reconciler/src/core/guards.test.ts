import { describe, expect, it } from 'vitest'
import { nextDeadline, pendingDecisions } from './decide.ts'
import type { AppPolicy } from './policy.ts'
import { closed, created, driver, policyWith, startMix, T0 } from './test-kit.ts'

function orphaned(policy: AppPolicy) {
  const d = driver(policy)
  d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
  d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] }))
  d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
  return d
}

const due = T0 + 10_000 + policyWith({}).graceMs.normal

describe('never stopped', () => {
  it('a pinned task: no decision and no deadline for it', () => {
    const d = orphaned(policyWith({ pinnedTaskIds: ['task-a'] }))
    expect(d.task('task-a')?.due.stopAt).toBeNull()
    expect(d.tick(due + 3_600_000)).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('under dry-run: a would_stop once per cause, after its confirmation, the task left as it is', () => {
    const d = orphaned(policyWith({ dryRun: true }))
    // The room checks run under dry-run too: the would_stop shows what enforcing would stop.
    expect(d.tick(due)).toMatchObject([{ action: 'verify', reason: 'orphaned', rule: 'room_streams' }])
    d.roomStreams('r1', [], due + 500)
    const [wouldStop, ...rest] = d.tick(due + 500)
    expect(rest).toEqual([])
    expect(wouldStop).toMatchObject({ action: 'would_stop', reason: 'orphaned', rule: 'grace:normal_close' })
    expect(wouldStop?.evidence.eventIds).toContain(`room_streams:r1@${due + 500}`)
    expect(d.task('task-a')).toMatchObject({ phase: 'running', pending: null, stopAttempts: 0 })
    expect(pendingDecisions(d.state)).toEqual([])
    // Not armed again: the shell's timer does not spin on a reported cause.
    expect(d.task('task-a')?.due.stopAt).toBeNull()
    expect(nextDeadline(d.state)).not.toBe(due)
    expect(d.tick(due + 1)).toEqual([])
    // A later list (absent again) is no new cause: not reported again.
    d.roomStreams('r1', [], due + 60_000)
    expect(d.tick(due + 100_000)).toEqual([])
    // A new cause (the stream came back and went again) is reported once more.
    d.event(created({ streamId: 's1', at: due + 200_000, seq: 3 }))
    d.event(closed({ streamId: 's1', at: due + 210_000, seq: 4 }))
    expect(d.tickAnswered(due + 210_000 + d.policy.graceMs.normal)).toMatchObject([{ action: 'would_stop' }])
  })

  it('switching dry-run off enforces the standing cause once a new list confirms it', () => {
    const policy = policyWith({ dryRun: true })
    const d = orphaned(policy)
    d.tickAnswered(due)
    policy.dryRun = false
    // The list behind the would_stop is older than the enforcement: the room is listed again.
    const later = due + 60_000
    expect(d.reassess(later)).toMatchObject([{ action: 'verify', reason: 'orphaned', rule: 'room_streams' }])
    d.roomStreams('r1', [], later + 300)
    const [stop] = d.tick(later + 300)
    expect(stop).toMatchObject({ action: 'stop', reason: 'orphaned', evidence: { deadline: due } })
    expect(d.task('task-a')?.phase).toBe('stopping')
  })

  it('a task already stopping or stopped is not stopped again', () => {
    const d = orphaned(policyWith({}))
    expect(d.tickAnswered(due)).toHaveLength(1)
    expect(d.tick(due + 1_000)).toEqual([])
    expect(d.tick(due + 50_000)).toEqual([])
  })
})
