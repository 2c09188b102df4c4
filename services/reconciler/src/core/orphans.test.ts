import { describe, expect, it } from 'vitest'
import { nextDeadline } from './decide.ts'
import { STOP_FLOOR_MS } from './limits.ts'
import { closed, created, driver, policyWith, roomClosed, startMix, T0 } from './test-kit.ts'

const grace = policyWith({}).graceMs

/** A task mixing `inputs`, started once every input is up. */
function withTask(inputs: string[], policy = policyWith({})) {
  const d = driver(policy)
  for (const [i, streamId] of inputs.entries()) d.event(created({ streamId, at: T0 + i, seq: i + 1 }))
  d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs }))
  return d
}

describe('orphaned tasks', () => {
  it('stops a task once its only input has been gone for the grace of a normal close', () => {
    const d = withTask(['s1'])
    const closeAt = T0 + 60_000
    d.event(closed({ streamId: 's1', at: closeAt, seq: 10, reason: 0 }))
    expect(nextDeadline(d.state)).toBe(closeAt + grace.normal)
    expect(d.tick(closeAt + grace.normal - 1)).toEqual([])
    const [stop, ...rest] = d.tickAnswered(closeAt + grace.normal)
    expect(rest).toEqual([])
    expect(stop).toMatchObject({
      action: 'stop',
      taskId: 'task-a',
      reason: 'orphaned',
      rule: 'grace:normal_close',
      evidence: { deadline: closeAt + grace.normal, supersededBy: null },
    })
    expect(stop?.evidence.eventIds).toContain(closed({ streamId: 's1', at: closeAt, seq: 10 }).id)
    expect(d.task('task-a')?.phase).toBe('stopping')
  })

  it.each([
    [1, 'heartbeat_timeout', grace.reconnectable],
    [4, 'tcp_disconnect', grace.reconnectable],
    [2, 'relogin', grace.reconnectable],
    [3, 'kicked', grace.normal],
    [100, 'delete_stream', grace.normal],
    [5, 'room_cleared', grace.roomGone],
    [42, 'close_type_42', grace.reconnectable],
  ])('close type %i waits its own grace (grace:%s)', (reason, label, ms) => {
    const d = withTask(['s1'])
    const closeAt = T0 + 60_000
    d.event(closed({ streamId: 's1', at: closeAt, seq: 10, reason }))
    const due = Math.max(closeAt + ms, closeAt + STOP_FLOOR_MS)
    expect(nextDeadline(d.state)).toBe(due)
    expect(d.tick(due - 1)).toEqual([])
    expect(d.tickAnswered(due)).toMatchObject([{ action: 'stop', rule: `grace:${label}` }])
  })

  it('does not stop while another input is live, and waits for the latest grace of all inputs', () => {
    const d = withTask(['s1', 's2'])
    const first = T0 + 60_000
    d.event(closed({ streamId: 's1', at: first, seq: 10, reason: 1 }))
    expect(d.tick(first + grace.reconnectable + 1)).toEqual([])
    // s2 goes with a short grace after s1 went with a long one: s1 may still come back, so wait for both.
    const second = first + 5_000
    d.event(closed({ streamId: 's2', at: second, seq: 11, reason: 0 }))
    expect(nextDeadline(d.state)).toBe(Math.max(first + grace.reconnectable, second + grace.normal))
  })

  it('remembers a close that arrives before its create, so the late create does not revive the stream', () => {
    const d = driver()
    const closeAt = T0 + 60_000
    d.event(created({ streamId: 's0', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'] }))
    d.event(closed({ streamId: 's1', at: closeAt, seq: 3, receivedAt: closeAt }))
    d.event(created({ streamId: 's1', at: T0 + 500, seq: 2, receivedAt: closeAt + 100 }), closeAt + 100)
    expect(d.tickAnswered(closeAt + grace.normal)).toMatchObject([{ action: 'stop', reason: 'orphaned' }])
  })

  it('orders by stream_seq inside a room session, not by time or arrival', () => {
    const d = withTask(['s1'])
    const at = T0 + 60_000
    // ZEGO's own example: create, close, re-create arriving as create, re-create, close; the clock
    // stamps are equal, stream_seq is not.
    d.event(created({ streamId: 's1', at, seq: 12, recreate: true }))
    d.event(closed({ streamId: 's1', at, seq: 11, reason: 1 }))
    expect(nextDeadline(d.state)).not.toBe(at + grace.reconnectable)
    expect(d.tick(at + grace.reconnectable * 2)).toEqual([])
  })

  it('treats a duplicate close as a no-op', () => {
    const d = withTask(['s1'])
    const close = closed({ streamId: 's1', at: T0 + 60_000, seq: 10 })
    d.event(close, T0 + 61_000)
    const once = d.state
    d.event(close, T0 + 61_000)
    expect(d.state).toEqual(once)
    d.tickAnswered(T0 + 60_000 + grace.normal)
    d.event(close, T0 + 62_000)
    d.tickAnswered(T0 + 60_000 + grace.normal * 2)
    expect(d.decisions.filter((x) => x.action === 'stop')).toHaveLength(1)
  })

  it('a reconnect inside the grace (recreate=1) cancels the pending stop', () => {
    const d = withTask(['s1'])
    const closeAt = T0 + 60_000
    d.event(closed({ streamId: 's1', at: closeAt, seq: 10, reason: 1 }))
    expect(nextDeadline(d.state)).toBe(closeAt + grace.reconnectable)
    d.event(created({ streamId: 's1', at: closeAt + 30_000, seq: 11, recreate: true }))
    expect(d.task('task-a')?.due.stopAt).toBeNull()
    expect(d.tick(closeAt + grace.reconnectable + 60_000)).toEqual([])
    expect(d.task('task-a')?.phase).toBe('running')
  })

  it('a stream coming back under a new instance (stream_sid) also cancels the stop', () => {
    const d = withTask(['s1'])
    d.event(closed({ streamId: 's1', at: T0 + 60_000, seq: 10, reason: 0 }))
    d.event(created({ streamId: 's1', sid: 'other-sid', at: T0 + 65_000, seq: 11 }))
    expect(d.tick(T0 + 200_000)).toEqual([])
  })

  it('never fires before the close was received plus the floor, so a late close and a late create can meet', () => {
    const d = withTask(['s1'])
    const closeAt = T0 + 60_000
    const arrival = closeAt + grace.normal + 40_000 // delivered by ZEGO's retries, grace already over
    d.event(closed({ streamId: 's1', at: closeAt, seq: 10, receivedAt: arrival }), arrival)
    expect(nextDeadline(d.state)).toBe(arrival + STOP_FLOOR_MS)
    expect(d.tick(arrival)).toEqual([])
    d.event(
      created({ streamId: 's1', at: closeAt + 2_000, seq: 11, receivedAt: arrival + 1_500 }),
      arrival + 1_500,
    )
    expect(d.tick(arrival + STOP_FLOOR_MS)).toEqual([])
  })

  it('grace starts at receivedAt when ZEGO sent no close time', () => {
    const d = withTask(['s1'])
    const arrival = T0 + 70_000
    d.event(closed({ streamId: 's1', at: null, seq: 10, receivedAt: arrival }), arrival)
    expect(nextDeadline(d.state)).toBe(arrival + grace.normal)
  })

  it('room_closed closes every stream of that room session, not of a later one', () => {
    const d = withTask(['s1', 's2'])
    const closeAt = T0 + 60_000
    d.event(roomClosed({ at: closeAt }))
    expect(d.tickAnswered(closeAt + grace.roomGone + STOP_FLOOR_MS)).toMatchObject([
      { action: 'stop', reason: 'orphaned', rule: 'grace:room_closed' },
    ])

    const e = withTask(['s1'])
    e.event(roomClosed({ at: closeAt }))
    e.event(created({ streamId: 's1', session: 'rs2', at: closeAt + 1_000, seq: 1 }))
    expect(e.tick(closeAt + 600_000)).toEqual([])
  })

  it('a create of a closed room session that arrives after the room_close does not revive the stream', () => {
    const d = driver()
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] }))
    d.event(roomClosed({ at: T0 + 60_000 }))
    d.event(created({ streamId: 's1', at: T0 - 1_000, seq: 1, receivedAt: T0 + 61_000 }), T0 + 61_000)
    expect(d.tickAnswered(T0 + 70_000)).toMatchObject([{ action: 'stop', rule: 'grace:room_closed' }])
  })

  it('URL inputs count as live by default', () => {
    const url = { streamId: null, streamUrl: 'rtmp://cdn.example/live/x' }
    const d = driver()
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1', url] }))
    d.event(closed({ streamId: 's1', at: T0 + 60_000, seq: 2 }))
    expect(d.tick(T0 + 600_000)).toEqual([])

    const e = driver(policyWith({ urlInputsCountAsLive: false }))
    e.event(created({ streamId: 's1', at: T0, seq: 1 }))
    e.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1', url] }))
    e.event(closed({ streamId: 's1', at: T0 + 60_000, seq: 2 }))
    expect(e.tickAnswered(T0 + 60_000 + grace.normal)).toMatchObject([{ action: 'stop', reason: 'orphaned' }])
  })

  it('an input never seen in any callback is live: a successful StartMix proves it existed', () => {
    const d = driver()
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['ghost'] }))
    expect(d.tick(T0 + 3_600_000)).not.toContainEqual(expect.objectContaining({ action: 'stop' }))
  })

  it('a close older than the StartMix that named the stream does not orphan the task', () => {
    const d = driver()
    d.event(closed({ streamId: 's1', at: T0 - 5_000, seq: 4 }))
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'] }))
    expect(d.tick(T0 + 200_000)).toEqual([])
  })

  it('a later StartMix of the same TaskId replaces the inputs; a lower Sequence is ignored', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(created({ streamId: 's2', at: T0 + 1, seq: 2 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'], sequence: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 5_000, inputs: ['s2'], sequence: 3 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 6_000, inputs: ['s1'], sequence: 2 })) // stale, arrived late
    expect(d.task('task-a')?.inputs).toEqual([{ streamId: 's2', streamUrl: null }])
    d.event(closed({ streamId: 's1', at: T0 + 60_000, seq: 3 }))
    expect(d.tick(T0 + 200_000)).toEqual([])
    d.event(closed({ streamId: 's2', at: T0 + 210_000, seq: 4 }))
    expect(d.tickAnswered(T0 + 210_000 + grace.normal)).toMatchObject([{ action: 'stop', taskId: 'task-a' }])
    expect(d.decisions.filter((x) => x.reason === 'superseded')).toEqual([])
  })

  it('ignores a StartMix ZEGO refused', () => {
    const d = driver()
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], code: 110200150 }))
    expect(d.task('task-a')).toBeUndefined()
  })
})
