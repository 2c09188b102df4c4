import { describe, expect, it } from 'vitest'
import { nextDeadline, pendingDecisions } from './decide.ts'
import { ROOM_CHECK_INTERVAL_MS, STOP_FLOOR_MS, UNCONFIRMED_STOP_MIN_WAIT_MS } from './limits.ts'
import { closed, created, driver, outcomeFor, policyWith, startMix, stopMix, T0 } from './test-kit.ts'

const grace = policyWith({}).graceMs
const CLOSE_AT = T0 + 60_000
/** Both inputs closed by a TCP disconnect at CLOSE_AT (type 4, the reconnectable grace). */
const DUE = CLOSE_AT + grace.reconnectable

/**
 * The end-to-end case: a task mixes host and guest in room r1; both publishers blip (stream_close
 * type 4, then stream_create recreate=1), and both recreate callbacks are lost.
 */
function blipped(policy = policyWith({})) {
  const d = driver(policy)
  d.event(created({ streamId: 'host', at: T0, seq: 1 }))
  d.event(created({ streamId: 'guest', at: T0 + 1, seq: 2 }))
  const start = startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['host', 'guest'] })
  d.event(start)
  const closes = [
    closed({ streamId: 'host', at: CLOSE_AT, seq: 3, reason: 4 }),
    closed({ streamId: 'guest', at: CLOSE_AT + 5, seq: 4, reason: 4 }),
  ]
  for (const close of closes) d.event(close)
  return { d, start, closes, due: DUE + 5 }
}

describe('orphans are confirmed with the stream list before they are stopped', () => {
  it('at the deadline, lists the inputs’ room instead of stopping, and keeps the task running', () => {
    const { d, due } = blipped()
    expect(nextDeadline(d.state)).toBe(due)
    const decisions = d.tick(due)
    expect(decisions).toMatchObject([
      {
        action: 'verify',
        taskId: 'task-a',
        reason: 'orphaned',
        rule: 'room_streams',
        evidence: { note: 'r1', deadline: due },
      },
    ])
    expect(pendingDecisions(d.state)).toEqual(decisions)
    expect(d.task('task-a')).toMatchObject({
      phase: 'running',
      pending: null,
      confirming: { since: due, startedAt: due, rooms: ['r1'] },
    })
  })

  it('both inputs listed (their reconnects were lost): no stop, and the task waits for news again', () => {
    const { d, due } = blipped()
    d.tick(due)
    d.roomStreams('r1', ['host', 'guest'], due + 400)
    expect(d.task('task-a')).toMatchObject({ phase: 'running', confirming: null, due: { stopAt: null } })
    expect(pendingDecisions(d.state)).toEqual([])
    // Nothing until the silence check, long after every grace and fallback.
    expect(nextDeadline(d.state)).toBe(due + 400 + d.policy.silentTaskMs)
    expect(d.tick(due + 400 + d.policy.silentTaskMs - 1)).toEqual([])
    expect(d.decisions.filter((x) => x.action === 'stop')).toEqual([])
  })

  it('one input listed: that one is live, so no stop', () => {
    const { d, due } = blipped()
    d.tick(due)
    d.roomStreams('r1', ['guest'], due + 400)
    expect(d.task('task-a')?.confirming).toBeNull()
    expect(d.tick(due + 3_600_000)).not.toContainEqual(expect.objectContaining({ action: 'stop' }))
  })

  it('every input absent from the list: the stop, naming the grace and the list', () => {
    const { d, due, start, closes } = blipped()
    d.tick(due)
    const observedAt = due + 400
    d.roomStreams('r1', ['someone-else'], observedAt)
    // Due at once: the next tick stops it.
    expect(nextDeadline(d.state)).toBe(due)
    const [stop, ...rest] = d.tick(observedAt)
    expect(rest).toEqual([])
    expect(stop).toMatchObject({
      action: 'stop',
      taskId: 'task-a',
      reason: 'orphaned',
      rule: 'grace:tcp_disconnect',
      evidence: { deadline: due, supersededBy: null },
    })
    expect(stop?.evidence.eventIds).toEqual(
      [start.id, ...closes.map((c) => c.id), `room_streams:r1@${observedAt}`].sort(),
    )
    expect(d.task('task-a')).toMatchObject({ phase: 'stopping', confirming: null })
  })

  it('a reconnect callback that arrives while confirming ends the confirmation', () => {
    const { d, due } = blipped()
    d.tick(due)
    d.event(
      created({ streamId: 'host', at: CLOSE_AT + 2_000, seq: 5, recreate: true, receivedAt: due + 100 }),
    )
    expect(d.task('task-a')).toMatchObject({ confirming: null, due: { stopAt: null } })
    // The answer to the check still comes; it agrees (the guest's reconnect was lost too).
    d.roomStreams('r1', ['host', 'guest'], due + 400)
    expect(d.tick(due + 3_600_000)).not.toContainEqual(expect.objectContaining({ action: 'stop' }))
  })

  it('a failed list is asked again within ZEGO’s limit; lists that keep failing fall back to the callbacks one more grace after the first check, and say so in the rule', () => {
    const { d, due, closes } = blipped()
    const fallbackAt = due + Math.max(grace.reconnectable, UNCONFIRMED_STOP_MIN_WAIT_MS)
    let [check] = d.tick(due)
    let failedAt = due + 300
    const asked: number[] = []
    while (check !== undefined) {
      asked.push(check.decidedAt)
      d.outcome(outcomeFor(check, 'gave_up', failedAt, 'DescribeSimpleStreamList'))
      expect(d.task('task-a')?.confirming).toMatchObject({ since: due, fallbackAt })
      const next = Math.min(failedAt + ROOM_CHECK_INTERVAL_MS, fallbackAt)
      expect(nextDeadline(d.state)).toBe(next)
      if (next === fallbackAt) break
      expect(d.tick(next - 1)).toEqual([])
      ;[check] = d.tick(next)
      expect(check).toMatchObject({ action: 'verify', rule: 'room_streams', evidence: { note: 'r1' } })
      // The executor tries a list three times, 10 s apart, before it gives up.
      failedAt = next + 2 * ROOM_CHECK_INTERVAL_MS + 300
    }
    expect(asked.length).toBeGreaterThan(1)
    const [stop] = d.tick(fallbackAt)
    expect(stop).toMatchObject({
      action: 'stop',
      reason: 'orphaned',
      rule: 'grace:tcp_disconnect+unconfirmed',
      evidence: { deadline: fallbackAt },
    })
    expect(stop?.evidence.eventIds).toEqual(expect.arrayContaining(closes.map((c) => c.id)))
  })

  it('an unanswered list falls back the same way; the wait is at least the floor for a short grace', () => {
    const policy = policyWith({ graceMs: { ...grace, normal: 2_000 } })
    const d = driver(policy)
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'] }))
    d.event(closed({ streamId: 's1', at: CLOSE_AT, seq: 2, reason: 0 }))
    const due = CLOSE_AT + STOP_FLOOR_MS
    expect(d.tick(due)).toHaveLength(1)
    const fallbackAt = due + UNCONFIRMED_STOP_MIN_WAIT_MS
    expect(nextDeadline(d.state)).toBe(fallbackAt)
    expect(d.tick(fallbackAt)).toMatchObject([{ action: 'stop', rule: 'grace:normal_close+unconfirmed' }])
  })

  it('only a list observed at or after the deadline confirms; the room is asked again within ZEGO’s limit', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(created({ streamId: 's2', at: T0 + 1, seq: 2 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'], outputs: ['oa'], userId: 'ua' }))
    d.event(startMix({ taskId: 'task-b', at: T0 + 1_000, inputs: ['s2'], outputs: ['ob'], userId: 'ub' }))
    d.event(closed({ streamId: 's1', at: CLOSE_AT, seq: 3, reason: 0 }))
    d.event(closed({ streamId: 's2', at: CLOSE_AT + 4_000, seq: 4, reason: 0 }))
    const dueA = CLOSE_AT + grace.normal
    const dueB = dueA + 4_000
    // a's check, answered before b's deadline: it confirms a, not b.
    expect(d.tick(dueA)).toMatchObject([{ action: 'verify', taskId: 'task-a', evidence: { note: 'r1' } }])
    d.roomStreams('r1', [], dueA + 200)
    expect(d.tick(dueA + 200)).toMatchObject([{ action: 'stop', taskId: 'task-a' }])
    expect(d.tick(dueB)).toEqual([])
    expect(d.task('task-b')?.confirming).toMatchObject({ since: dueB, rooms: ['r1'] })
    // ZEGO allows one list per room per 10 s, counted from the list it received (answered at dueA + 200).
    const again = dueA + 200 + ROOM_CHECK_INTERVAL_MS
    expect(d.tick(dueA + ROOM_CHECK_INTERVAL_MS)).toEqual([])
    expect(nextDeadline(d.state)).toBe(again)
    const [check] = d.tick(again)
    expect(check).toMatchObject({
      action: 'verify',
      taskId: 'task-b',
      evidence: { note: 'r1', deadline: again },
    })
    d.roomStreams('r1', [], again + 200)
    expect(d.tick(again + 200)).toMatchObject([
      { action: 'stop', taskId: 'task-b', evidence: { deadline: dueB } },
    ])
  })

  it('a cause that stands only once a supersession has ended needs a list from then, not an older one', () => {
    // Dry-run, so the superseded task keeps running and its orphan cause can surface later.
    const d = driver(policyWith({ dryRun: true }))
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'], outputs: ['show'], userId: 'ua' }))
    d.event(startMix({ taskId: 'task-b', at: T0 + 3_000, inputs: ['s1'], outputs: ['show'], userId: 'ub' }))
    expect(d.decisions).toMatchObject([{ action: 'would_stop', taskId: 'task-a', reason: 'superseded' }])
    d.event(closed({ streamId: 's1', at: CLOSE_AT, seq: 2, reason: 0 }))
    const due = CLOSE_AT + grace.normal
    // b's orphan is confirmed by a list at its deadline (a's cause is still the supersession).
    expect(d.tickAnswered(due)).toMatchObject([
      { action: 'would_stop', taskId: 'task-b', reason: 'orphaned' },
    ])
    // s1 comes back, its create lost; then the customer stops b, so a's orphan cause stands.
    const bStopped = due + 12_000
    d.event(stopMix({ taskId: 'task-b', at: bStopped }))
    expect(d.tick(bStopped + 50)).toMatchObject([
      { action: 'verify', taskId: 'task-a', rule: 'room_streams', evidence: { note: 'r1' } },
    ])
    d.roomStreams('r1', ['s1'], bStopped + 300)
    expect(d.tick(bStopped + 3_600_000)).not.toContainEqual(
      expect.objectContaining({ taskId: 'task-a', reason: 'orphaned' }),
    )
  })

  it('inputs in two rooms: one check per room, distinct decisions, and the stop waits for both', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0, seq: 1, roomId: 'r1' }))
    d.event(created({ streamId: 's2', at: T0, seq: 1, roomId: 'r2', session: 'rs9' }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1', 's2'] }))
    d.event(closed({ streamId: 's1', at: CLOSE_AT, seq: 2, roomId: 'r1' }))
    d.event(closed({ streamId: 's2', at: CLOSE_AT, seq: 2, roomId: 'r2', session: 'rs9' }))
    const due = CLOSE_AT + grace.normal
    const checks = d.tick(due)
    expect(checks.map((c) => c.evidence.note)).toEqual(['r1', 'r2'])
    expect(new Set(checks.map((c) => c.id)).size).toBe(2)
    d.roomStreams('r1', [], due + 100)
    expect(d.tick(due + 100)).toEqual([])
    expect(d.task('task-a')?.confirming?.rooms).toEqual(['r2'])
    d.roomStreams('r2', [], due + 200)
    const [stop] = d.tick(due + 200)
    expect(stop?.evidence.eventIds).toEqual(
      expect.arrayContaining([`room_streams:r1@${due + 100}`, `room_streams:r2@${due + 200}`]),
    )
  })

  it('a list of a room only its confirmation reads (an input was there before) re-arms the task at once', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0, seq: 1, roomId: 'r1' }))
    // s2 was in r3 first, then in r2: r3 is checked too, yet a list of r3 names none of its streams.
    d.event(created({ streamId: 's2', at: T0, seq: 1, roomId: 'r3', session: 'rs3' }))
    d.event(closed({ streamId: 's2', at: T0 + 5, seq: 2, roomId: 'r3', session: 'rs3' }))
    d.event(created({ streamId: 's2', at: T0 + 10, seq: 1, roomId: 'r2', session: 'rs2' }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1', 's2'] }))
    d.event(closed({ streamId: 's1', at: CLOSE_AT, seq: 2, roomId: 'r1' }))
    d.event(closed({ streamId: 's2', at: CLOSE_AT, seq: 2, roomId: 'r2', session: 'rs2' }))
    const due = CLOSE_AT + grace.normal
    expect(d.tick(due).map((c) => c.evidence.note)).toEqual(['r1', 'r2', 'r3'])
    d.roomStreams('r1', [], due + 100)
    d.roomStreams('r2', [], due + 200)
    expect(d.task('task-a')?.confirming?.rooms).toEqual(['r3'])
    d.roomStreams('r3', [], due + 300)
    // The task index keeps the rooms a confirmation waits for: the last list wakes the task by itself.
    expect(d.task('task-a')?.confirming?.rooms).toEqual([])
    expect(nextDeadline(d.state)).toBe(due)
    expect(d.tick(due + 300)).toMatchObject([{ action: 'stop', taskId: 'task-a', reason: 'orphaned' }])
  })

  it('switched off (confirmOrphansWithStreamList: false), stops on the callbacks at the deadline', () => {
    const { d, due } = blipped(policyWith({ confirmOrphansWithStreamList: false }))
    expect(d.tick(due)).toMatchObject([{ action: 'stop', rule: 'grace:tcp_disconnect' }])
  })
})
