import { describe, expect, it } from 'vitest'
import { nextDeadline } from './decide.ts'
import { STOP_FLOOR_MS } from './limits.ts'
import {
  closed,
  created,
  driver,
  mixStarted,
  policyWith,
  roomClosed,
  startAutoMix,
  startMix,
  T0,
} from './test-kit.ts'

const base = policyWith({})

describe('tasks with unknown inputs (seen through mix_start only)', () => {
  it('are not stopped by the streams of their room closing', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(mixStarted({ taskId: 'sdk-task', at: T0, roomId: 'r1', seq: 1 }))
    d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
    expect(d.tick(T0 + 3_600_000)).not.toContainEqual(expect.objectContaining({ action: 'stop' }))
  })

  it('are stopped when their room closes (stopOnRoomClose)', () => {
    const d = driver()
    d.event(mixStarted({ taskId: 'sdk-task', at: T0, roomId: 'r1', seq: 1 }))
    const close = roomClosed({ at: T0 + 60_000 })
    d.event(close)
    const due = T0 + 60_000 + Math.max(base.graceMs.roomGone, STOP_FLOOR_MS)
    expect(nextDeadline(d.state)).toBe(due)
    // The room's stream list confirms the close first (issue 9); the evidence names it.
    expect(d.tickAnswered(due)).toMatchObject([
      {
        action: 'stop',
        taskId: 'sdk-task',
        reason: 'room_closed',
        rule: 'room_close',
        evidence: { eventIds: [close.id, `room_streams:r1@${due}`] },
      },
    ])
  })

  it('ignore a room close from before the task started, and a room close when the rule is off', () => {
    const d = driver()
    d.event(roomClosed({ at: T0 - 60_000, session: 'old' }))
    d.event(mixStarted({ taskId: 'sdk-task', at: T0, roomId: 'r1', seq: 1 }))
    expect(d.tick(T0 + 300_000)).toEqual([])

    const off = driver(policyWith({ rooms: { ...base.rooms, stopOnRoomClose: false } }))
    off.event(mixStarted({ taskId: 'sdk-task', at: T0, roomId: 'r1', seq: 1 }))
    off.event(roomClosed({ at: T0 + 60_000 }))
    expect(off.tick(T0 + 300_000)).toEqual([])
  })

  it('are stopped when their room has had no live stream for emptyRoomGraceMs (stopWhenRoomEmpty)', () => {
    const policy = policyWith({
      rooms: { stopOnRoomClose: true, stopWhenRoomEmpty: true, emptyRoomGraceMs: 45_000 },
    })
    const d = driver(policy)
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(created({ streamId: 's2', at: T0 - 4_000, seq: 2 }))
    d.event(mixStarted({ taskId: 'sdk-task', at: T0, roomId: 'r1', seq: 1 }))
    d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 3 }))
    expect(d.tick(T0 + 300_000)).toEqual([])
    d.event(closed({ streamId: 's2', at: T0 + 20_000, seq: 4, receivedAt: T0 + 300_000 }), T0 + 300_000)
    expect(d.tickAnswered(T0 + 300_000 + STOP_FLOOR_MS)).toMatchObject([
      { action: 'stop', reason: 'room_empty', rule: 'room_empty' },
    ])
  })

  it('a stream coming back to the room cancels the room-empty stop', () => {
    const policy = policyWith({
      rooms: { stopOnRoomClose: true, stopWhenRoomEmpty: true, emptyRoomGraceMs: 45_000 },
    })
    const d = driver(policy)
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(mixStarted({ taskId: 'sdk-task', at: T0, roomId: 'r1', seq: 1 }))
    d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
    d.event(created({ streamId: 's9', at: T0 + 30_000, seq: 3 }))
    expect(d.tick(T0 + 300_000)).toEqual([])
  })

  it('get their inputs once the StartMix record arrives after the callback', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(mixStarted({ taskId: 'task-a', at: T0 + 400, roomId: 'r1', seq: 1 }))
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], receivedAt: T0 + 900 }))
    expect(d.task('task-a')?.inputs).toEqual([{ streamId: 's1', streamUrl: null }])
    d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
    expect(d.tickAnswered(T0 + 10_000 + base.graceMs.normal)).toMatchObject([
      { action: 'stop', reason: 'orphaned' },
    ])
  })
})

describe('auto-mix tasks (StartAutoMix): their inputs are the room streams', () => {
  it('are orphaned when every stream of the room has gone, not while one is live', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(created({ streamId: 's2', at: T0 - 4_000, seq: 2 }))
    d.event(startAutoMix({ taskId: 'auto', at: T0, roomId: 'r1' }))
    d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 3 }))
    expect(d.tick(T0 + 100_000)).toEqual([])
    d.event(created({ streamId: 's3', at: T0 + 101_000, seq: 4 }))
    d.event(closed({ streamId: 's2', at: T0 + 102_000, seq: 5 }))
    expect(d.tick(T0 + 300_000)).toEqual([])
    d.event(closed({ streamId: 's3', at: T0 + 310_000, seq: 6 }))
    expect(d.tickAnswered(T0 + 310_000 + base.graceMs.normal)).toMatchObject([
      { action: 'stop', taskId: 'auto', reason: 'orphaned' },
    ])
  })

  it('do not count streams that went before the auto task started', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 60_000, seq: 1 }))
    d.event(closed({ streamId: 's1', at: T0 - 50_000, seq: 2 }))
    d.event(startAutoMix({ taskId: 'auto', at: T0, roomId: 'r1' }))
    expect(d.tick(T0 + 1_000)).toEqual([])
    expect(nextDeadline(d.state)).toBe(T0 + base.graceMs.normal)
  })

  it('are orphaned as soon as a list moves their last live stream to another room', () => {
    // s9 is known from lists alone, so only its observation names a room; the second list moves it. A
    // tick assesses only the tasks whose cached deadlines have come: the list itself has to re-arm the
    // task of the room s9 left, whose silence check was hours away.
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 5_000, seq: 1 }))
    d.event(startAutoMix({ taskId: 'auto', at: T0, roomId: 'r1' }))
    d.roomStreams('r1', ['s1', 's9'], T0 + 1_000)
    d.event(closed({ streamId: 's1', at: T0 + 10_000, seq: 2 }))
    expect(d.tick(T0 + 100_000)).toEqual([])
    const movedAt = T0 + 200_000
    d.roomStreams('r2', ['s9'], movedAt)
    expect(nextDeadline(d.state)).toBe(movedAt)
    expect(d.tickAnswered(movedAt)).toMatchObject([{ action: 'stop', taskId: 'auto', reason: 'orphaned' }])
  })

  it('with no known stream in the room are stopped on room evidence only', () => {
    const d = driver()
    d.event(startAutoMix({ taskId: 'auto', at: T0, roomId: 'r1' }))
    expect(d.tick(T0 + 300_000)).toEqual([])
    d.event(roomClosed({ at: T0 + 400_000 }))
    expect(d.tickAnswered(T0 + 500_000)).toMatchObject([
      { action: 'stop', taskId: 'auto', reason: 'room_closed' },
    ])
  })
})
