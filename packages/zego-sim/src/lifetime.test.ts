import type { StartMixRequest } from '@mixguard/zego-api'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock, type ManualClock } from './clock.ts'
import { createSimulator, type Simulator } from './simulator.ts'
import { StreamCloseType } from './world-types.ts'

/** ZEGO's task lifetime rules (docs/zego.md §8), through the real API with a manual clock. */

const APP = 5001
let sim: Simulator
let clock: ManualClock

const start = async (taskId: string, inputs: string[], over: Partial<StartMixRequest> = {}) => {
  const outcome = await sim.customer.client(APP).startMix({
    TaskId: taskId,
    UserId: 'mixer',
    RoomId: 'r1',
    MixInput: inputs.map((StreamId) => ({ StreamId })),
    MixOutput: [{ StreamId: `${taskId}-out` }],
    ...over,
  })
  if (!outcome.ok) throw outcome.error
  return outcome
}
const publish = (streamId: string, roomId = 'r1') =>
  sim.actions.publish({ appId: APP, roomId, streamId, userId: `u-${streamId}` })
const unpublish = (streamId: string, type: 0 | 1 | 4 = 0) =>
  sim.actions.unpublish({ appId: APP, streamId, type })
const running = (taskId: string) => sim.world.runningTask(APP, taskId) !== undefined
const book = (taskId: string) => sim.ledger.task(APP, taskId, clock.now())

beforeEach(async () => {
  clock = createManualClock()
  sim = await createSimulator({ clock, apps: [{ appId: APP }] })
})
afterEach(async () => {
  await sim.close()
})

describe('idle auto-end', () => {
  it('ends a task MaxIdleTime (default 90 s) after ALL its inputs are gone, and bills that idle time', async () => {
    publish('a')
    publish('b')
    await start('t1', ['a', 'b'])
    clock.advance(60_000)
    unpublish('a')
    clock.advance(30_000)
    unpublish('b', 1)
    clock.advance(89_999)
    expect(running('t1')).toBe(true)
    clock.advance(1)
    expect(running('t1')).toBe(false)
    expect(book('t1')).toMatchObject({ endReason: 'idle', billedSec: 180, idleSec: 90 })
    expect(sim.ledger.totals(clock.now())).toMatchObject({
      tasks: 1,
      running: 0,
      billedSec: 180,
      idleSec: 90,
    })
  })

  it("honours StartMix's MaxIdleTime", async () => {
    publish('a')
    await start('t1', ['a'], { MaxIdleTime: 300 })
    unpublish('a')
    clock.advance(299_000)
    expect(running('t1')).toBe(true)
    clock.advance(1_000)
    expect(book('t1')).toMatchObject({ endReason: 'idle', idleSec: 300 })
  })

  it('cancels the idle clock when an input comes back, keeping the idle seconds on the books', async () => {
    publish('a')
    await start('t1', ['a'])
    unpublish('a', StreamCloseType.HeartbeatTimeout)
    clock.advance(40_000)
    sim.actions.reconnect({ appId: APP, streamId: 'a' })
    clock.advance(600_000)
    expect(running('t1')).toBe(true)
    expect(book('t1')).toMatchObject({ billedSec: 640, idleSec: 40 })
  })

  it('never idles a task with a URL input', async () => {
    publish('a')
    await start('t1', ['a'], { MixInput: [{ StreamId: 'a' }, { StreamUrl: 'rtmp://cdn.example/live/x' }] })
    unpublish('a')
    clock.advance(3_600_000)
    expect(running('t1')).toBe(true)
    expect(book('t1')?.idleSec).toBe(0)
  })
})

describe('no auto-end while wanted or merely replaced', () => {
  it('keeps running a task that loses one of two inputs', async () => {
    publish('a')
    publish('b')
    await start('t1', ['a', 'b'])
    unpublish('b', 4)
    clock.advance(3_600_000)
    expect(running('t1')).toBe(true)
    expect(book('t1')).toMatchObject({ billedSec: 3600, idleSec: 0 })
  })

  it('keeps running a task superseded by a newer one (same UserId, same output), forever billed', async () => {
    publish('host')
    await start('t1', ['host'], { MixOutput: [{ StreamId: 'room-out' }] })
    clock.advance(10_000)
    publish('cohost')
    await start('t2', ['host', 'cohost'], { MixOutput: [{ StreamId: 'room-out' }] })
    clock.advance(7_200_000)
    expect(running('t1')).toBe(true)
    expect(running('t2')).toBe(true)
    expect(book('t1')?.billedSec).toBe(7210)
  })

  it('treats StartMix with the same TaskId as an update of inputs, not a new task', async () => {
    publish('a')
    publish('b')
    await start('t1', ['a'])
    await start('t1', ['b'])
    unpublish('a')
    clock.advance(600_000)
    expect(running('t1')).toBe(true)
    expect(sim.world.tasks(APP)).toHaveLength(1)
    expect(sim.world.runningTask(APP, 't1')?.inputs).toEqual([{ kind: 'stream', streamId: 'b' }])
  })

  it('does not stop a StartMix task when its room closes; it idles out like any other', async () => {
    publish('a')
    await start('t1', ['a'])
    sim.actions.closeRoom({ appId: APP, roomId: 'r1' })
    expect(running('t1')).toBe(true)
    clock.advance(90_000)
    expect(book('t1')?.endReason).toBe('idle')
  })
})

describe('auto-mix tasks', () => {
  const startAuto = async (taskId: string, roomId: string) => {
    const outcome = await sim.customer.client(APP).startAutoMix({
      TaskId: taskId,
      UserId: 'auto',
      RoomId: roomId,
      MixOutput: [{ StreamId: `${taskId}-out` }],
    })
    expect(outcome.ok).toBe(true)
  }

  it('follow every stream of the room, and end when the room closes', async () => {
    publish('a')
    await startAuto('auto-1', 'r1')
    unpublish('a')
    clock.advance(60_000)
    publish('b')
    clock.advance(600_000)
    expect(running('auto-1')).toBe(true)
    sim.actions.closeRoom({ appId: APP, roomId: 'r1' })
    expect(book('auto-1')).toMatchObject({ endReason: 'room_gone', billedSec: 660, idleSec: 60 })
  })

  it('end after their inputs are absent for 90 s', async () => {
    await startAuto('auto-2', 'empty-room')
    clock.advance(90_000)
    expect(book('auto-2')).toMatchObject({ endReason: 'idle', idleSec: 90 })
  })
})

describe('streams and reconnects', () => {
  it('keeps the server stream (recreate=1, same sid) for a reconnect inside 90 s, not after', () => {
    const first = publish('a')
    unpublish('a', 1)
    clock.advance(89_000)
    const back = publish('a')
    expect(back.streamSid).toBe(first.streamSid)
    unpublish('a', 4)
    clock.advance(91_000)
    const fresh = publish('a')
    expect(fresh.streamSid).not.toBe(first.streamSid)
    unpublish('a', 0)
    const afterNormal = publish('a')
    expect(afterNormal.streamSid).not.toBe(fresh.streamSid)
  })

  it('starts a new room session after a room is closed', () => {
    const before = publish('a')
    sim.actions.closeRoom({ appId: APP, roomId: 'r1' })
    expect(sim.world.streams(APP)[0]?.closeType).toBe(StreamCloseType.RoomCleared)
    const after = publish('a')
    expect(after.roomSessionId).not.toBe(before.roomSessionId)
  })
})

describe('accelerated time', () => {
  it('runs the 90 s idle rule on a scaled clock without any manual stepping', async () => {
    const fast = await createSimulator({ scale: 1000, apps: [{ appId: APP }] })
    try {
      fast.actions.publish({ appId: APP, roomId: 'r', streamId: 'a', userId: 'u' })
      const outcome = await fast.customer.client(APP).startMix({
        TaskId: 'fast',
        UserId: 'mixer',
        MixInput: [{ StreamId: 'a' }],
        MixOutput: [{ StreamId: 'fast-out' }],
      })
      expect(outcome.ok).toBe(true)
      const ended = new Promise<number>((resolve) =>
        fast.world.subscribe((e) => {
          if (e.type === 'task_ended') resolve(e.at)
        }),
      )
      const idleFrom = fast.actions.unpublish({ appId: APP, streamId: 'a' }).closedAt ?? 0
      expect((await ended) - idleFrom).toBe(90_000)
      expect(fast.ledger.task(APP, 'fast', fast.clock.now())?.idleSec).toBe(90)
    } finally {
      await fast.close()
    }
  })
})
