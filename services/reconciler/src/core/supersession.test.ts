import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { created, driver, mixStarted, mixStopped, outcomeFor, policyWith, startMix, T0 } from './test-kit.ts'

function live(d: ReturnType<typeof driver>, ...streamIds: string[]) {
  for (const [i, streamId] of streamIds.entries())
    d.event(created({ streamId, at: T0 - 10_000 + i, seq: i + 1 }))
}

/**
 * task-a (input s1, in r1) and, 5 s later, task-b (input s2, in `roomB`), both started by UserId 'svc':
 * the decisions task-b's start brings.
 */
function sameInitiator(roomB: string, d = driver()): Decision[] {
  live(d, 's1', 's2')
  d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], userId: 'svc', roomId: 'r1' }))
  return d.event(startMix({ taskId: 'task-b', at: T0 + 5_000, inputs: ['s2'], userId: 'svc', roomId: roomB }))
}

describe('supersession', () => {
  it('stops the older task at once when a newer one shares its output stream', () => {
    const d = driver()
    live(d, 's1', 's2')
    const a = startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'], userId: 'alice' })
    const b = startMix({
      taskId: 'task-b',
      at: T0 + 60_000,
      inputs: ['s2'],
      outputs: ['show'],
      userId: 'bob',
    })
    d.event(a)
    const decisions = d.event(b)
    expect(decisions).toHaveLength(1)
    expect(decisions[0]).toMatchObject({
      action: 'stop',
      taskId: 'task-a',
      reason: 'superseded',
      rule: 'shared_output',
      evidence: { supersededBy: 'task-b', deadline: null },
      decidedAt: b.receivedAt,
    })
    expect(decisions[0]?.evidence.eventIds).toEqual([a.id, b.id].sort())
    expect(d.task('task-a')?.phase).toBe('stopping')
    expect(d.task('task-b')?.phase).toBe('running')
  })

  it('shares an output URL as well as a stream id', () => {
    const d = driver()
    live(d, 's1', 's2')
    const url = { streamId: null, streamUrl: 'rtmp://cdn.example/live/show' }
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: [url], userId: 'alice' }))
    expect(
      d.event(startMix({ taskId: 'task-b', at: T0 + 5_000, inputs: ['s2'], outputs: [url], userId: 'bob' })),
    ).toMatchObject([{ taskId: 'task-a', rule: 'shared_output' }])
  })

  it('stops the older task when a newer one has the same initiator UserId in the same room', () => {
    expect(sameInitiator('r1')).toMatchObject([
      {
        taskId: 'task-a',
        reason: 'superseded',
        rule: 'shared_user_in_room',
        evidence: { supersededBy: 'task-b' },
      },
    ])
  })

  it('never treats a shared UserId across different rooms as a supersession', () => {
    const d = driver()
    expect(sameInitiator('r2', d)).toEqual([])
    expect(d.tick(T0 + 60_000)).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('does nothing when the rule is switched off', () => {
    const d = driver(policyWith({ supersession: { sharedOutput: true, sharedUserInRoom: false } }))
    expect(sameInitiator('r1', d)).toEqual([])

    const e = driver(policyWith({ supersession: { sharedOutput: false, sharedUserInRoom: false } }))
    live(e, 's1', 's2')
    e.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'] }))
    expect(
      e.event(startMix({ taskId: 'task-b', at: T0 + 5_000, inputs: ['s2'], outputs: ['show'] })),
    ).toEqual([])
  })

  it('an update of the same TaskId is not a supersession', () => {
    const d = driver()
    live(d, 's1', 's2')
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'], sequence: 1 }))
    expect(
      d.event(startMix({ taskId: 'task-a', at: T0 + 5_000, inputs: ['s2'], outputs: ['show'], sequence: 2 })),
    ).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('stops the older task even when its records arrive after the newer one', () => {
    const d = driver()
    live(d, 's1', 's2')
    d.event(startMix({ taskId: 'task-b', at: T0 + 60_000, inputs: ['s2'], outputs: ['show'] }))
    const late = startMix({
      taskId: 'task-a',
      at: T0,
      inputs: ['s1'],
      outputs: ['show'],
      receivedAt: T0 + 61_000,
    })
    expect(d.event(late)).toMatchObject([
      { taskId: 'task-a', reason: 'superseded', evidence: { supersededBy: 'task-b' } },
    ])
    expect(d.task('task-b')?.phase).toBe('running')
  })

  it('works from mix_start callbacks alone (client-started tasks)', () => {
    const d = driver()
    d.event(mixStarted({ taskId: 'task-a', at: T0, userId: 'host', roomId: 'r1', output: 'mix-r1', seq: 10 }))
    // Known from a callback alone, task-b supersedes nothing until ZEGO says it runs (issue 9).
    const [check] = d.event(
      mixStarted({
        taskId: 'task-b',
        at: T0 + 30_000,
        userId: 'host',
        roomId: 'r1',
        output: 'mix-r1b',
        seq: 11,
      }),
    )
    expect(check?.command).toMatchObject({ call: 'GetMixTaskInfo', taskId: 'task-b' })
    expect(d.outcome(outcomeFor(check as Decision, 'still_running', T0 + 30_100))).toMatchObject([
      { taskId: 'task-a', rule: 'shared_user_in_room', evidence: { supersededBy: 'task-b' } },
    ])
  })

  it('does not order two starts less than a second apart when a callback time (whole seconds) is involved', () => {
    const d = driver()
    d.event(mixStarted({ taskId: 'task-a', at: T0 + 200, output: 'show', seq: 10 }))
    expect(d.event(startMix({ taskId: 'task-b', at: T0 + 700, inputs: ['s2'], outputs: ['show'] }))).toEqual(
      [],
    )
  })

  it('orders two exact StartMix times 300 ms apart, even when each run also has a mix_start in that second', () => {
    const a = { taskId: 'task-a', inputs: ['s1'], outputs: ['show'], userId: 'alice' }
    const b = { taskId: 'task-b', inputs: ['s2'], outputs: ['show'], userId: 'bob' }
    const records = [
      startMix({ ...a, at: T0 + 100 }),
      // ZEGO's callbacks say "T0" (whole seconds) for both: they only prove a start before T0 + 1 s.
      mixStarted({ ...a, output: 'show', at: T0 + 350, seq: 1 }),
      startMix({ ...b, at: T0 + 400 }),
      mixStarted({ ...b, output: 'show', at: T0 + 650, seq: 2 }),
    ]
    // The passthrough's records keep their order; a callback may come before or after either.
    for (const order of [
      [0, 1, 2, 3],
      [1, 0, 3, 2],
      [0, 2, 1, 3],
      [1, 3, 0, 2],
    ]) {
      const d = driver()
      live(d, 's1', 's2')
      for (const i of order) d.event(records[i] as (typeof records)[number], T0 + 2_000)
      expect(d.task('task-a')?.run).toMatchObject({ startedAt: T0 + 100, precise: true })
      expect(d.task('task-b')?.run).toMatchObject({ startedAt: T0 + 400, precise: true })
      expect(
        d.decisions.filter((x) => x.action === 'stop'),
        `order ${order.join(',')}`,
      ).toMatchObject([{ taskId: 'task-a', reason: 'superseded', evidence: { supersededBy: 'task-b' } }])
      expect(d.task('task-b')?.phase).toBe('running')
    }
  })

  it('a mix_start that proves an earlier start than the StartMix record (an update) still dates the run', () => {
    const d = driver()
    live(d, 's1', 's2')
    // task-a was already running at T0 (its callback), so the StartMix at T0 + 5 s was an update.
    d.event(startMix({ taskId: 'task-a', at: T0 + 5_000, inputs: ['s1'], outputs: ['show'] }), T0 + 5_100)
    d.event(mixStarted({ taskId: 'task-a', at: T0 + 300, output: 'show', seq: 1, receivedAt: T0 + 5_200 }))
    expect(d.task('task-a')?.run).toMatchObject({ startedAt: T0, precise: false })
    // task-b started at T0 + 3 s, after a's start (before T0 + 1 s): a is the older one.
    expect(
      d.event(startMix({ taskId: 'task-b', at: T0 + 3_000, inputs: ['s2'], outputs: ['show'] }), T0 + 5_300),
    ).toMatchObject([{ taskId: 'task-a', reason: 'superseded', evidence: { supersededBy: 'task-b' } }])
  })

  it('a late update of a task stopped in the same second as its mix_stop is no new run that supersedes its successor', () => {
    // Found by the live-feed property (seed -1860672725): the update's exact time (T + 1 ms) read as
    // after the floored mix_stop (T), so the old task became "newer" and its successor was stopped.
    const d = driver()
    live(d, 's1')
    d.event(startMix({ taskId: 'old', at: T0, inputs: ['s1'], outputs: ['show'] }))
    const replaced = d.event(startMix({ taskId: 'new', at: T0 + 187_000, inputs: ['s1'], outputs: ['show'] }))
    expect(replaced).toMatchObject([{ action: 'stop', taskId: 'old', evidence: { supersededBy: 'new' } }])
    d.event(mixStopped({ taskId: 'old', at: T0 + 188_400, seq: 3 }))
    const update = startMix({
      taskId: 'old',
      at: T0 + 188_001,
      inputs: ['s1'],
      outputs: ['show'],
      sequence: 2,
    })
    expect(d.event(update)).toEqual([])
    expect(d.task('new')?.phase).toBe('running')
    // A StartMix a whole second after the stop's second is a new run, and it is the newer task.
    const restart = startMix({
      taskId: 'old',
      at: T0 + 189_000,
      inputs: ['s1'],
      outputs: ['show'],
      sequence: 3,
    })
    expect(d.event(restart)).toMatchObject([
      { action: 'stop', taskId: 'new', evidence: { supersededBy: 'old' } },
    ])
  })

  it('never stops a pinned task, and a dry-run reports the supersession once', () => {
    const pinned = driver(policyWith({ pinnedTaskIds: ['task-a'] }))
    live(pinned, 's1', 's2')
    pinned.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'] }))
    expect(
      pinned.event(startMix({ taskId: 'task-b', at: T0 + 5_000, inputs: ['s2'], outputs: ['show'] })),
    ).toEqual([])
    expect(pinned.tick(T0 + 10_000)).toEqual([])

    const dry = driver(policyWith({ dryRun: true }))
    live(dry, 's1', 's2')
    dry.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'] }))
    const b = startMix({ taskId: 'task-b', at: T0 + 5_000, inputs: ['s2'], outputs: ['show'] })
    expect(dry.event(b)).toMatchObject([{ action: 'would_stop', taskId: 'task-a', reason: 'superseded' }])
    expect(dry.event(b)).toEqual([])
    expect(dry.tick(T0 + 10_000)).toEqual([])
    expect(dry.task('task-a')?.phase).toBe('running')
  })
})
