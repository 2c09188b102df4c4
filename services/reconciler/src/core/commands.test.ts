import { describe, expect, it } from 'vitest'
import { pendingDecisions } from './decide.ts'
import type { AppState } from './model.ts'
import { parseAppState } from './state-schema.ts'
import { APP, closed, created, driver, policyWith, startMix, T0 } from './test-kit.ts'

describe('decisions carry complete commands', () => {
  it('a stop names StopMix with the task and its initiator UserId, in its lane', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0 - 10_000, seq: 1 }))
    d.event(created({ streamId: 's2', at: T0 - 10_000, seq: 2 }))
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], outputs: ['show'], userId: 'alice' }))
    const [stop] = d.event(
      startMix({ taskId: 'task-b', at: T0 + 60_000, inputs: ['s2'], outputs: ['show'], userId: 'bob' }),
    )
    expect(stop?.command).toEqual({
      call: 'StopMix',
      appId: APP,
      lane: 'urgent',
      taskId: 'task-a',
      userId: 'alice',
    })
  })

  it("an orphan's confirmation names the room it lists; its stop goes in the normal lane", () => {
    const d = driver(policyWith({}))
    d.event(created({ streamId: 's1', at: T0 - 10_000, seq: 1, roomId: 'room-7' }))
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], userId: null }))
    d.event(closed({ streamId: 's1', at: T0 + 1_000, seq: 2, roomId: 'room-7' }))
    const [check] = d.tick(T0 + 60_000)
    expect(check?.command).toEqual({
      call: 'DescribeSimpleStreamList',
      appId: APP,
      lane: 'normal',
      roomId: 'room-7',
    })
    const [stop] = d.roomStreams('room-7', [], T0 + 60_000).concat(d.tick(T0 + 60_000))
    expect(stop?.command).toEqual({
      call: 'StopMix',
      appId: APP,
      lane: 'normal',
      taskId: 'task-a',
      userId: null,
    })
  })

  it('a state saved before commands existed restores its pending decisions with theirs', () => {
    const restoredWithoutCommands = (state: AppState): AppState => {
      const restored = parseAppState(
        JSON.parse(JSON.stringify(state, (key, v) => (key === 'command' ? undefined : v))),
      )
      if (restored === null) throw new Error('the state without commands did not restore')
      return restored
    }
    const d = driver(policyWith({}))
    d.event(created({ streamId: 's1', at: T0 - 10_000, seq: 1, roomId: 'room-7' }))
    d.event(startMix({ taskId: 'task-a', at: T0, inputs: ['s1'], userId: 'alice' }))
    d.event(closed({ streamId: 's1', at: T0 + 1_000, seq: 2, roomId: 'room-7' }))
    d.tick(T0 + 60_000)
    const check = pendingDecisions(d.state)
    expect(check.map((x) => x.command.call)).toEqual(['DescribeSimpleStreamList'])
    expect(pendingDecisions(restoredWithoutCommands(d.state))).toEqual(check)
    d.roomStreams('room-7', [], T0 + 60_000)
    d.tick(T0 + 60_000)
    const stop = pendingDecisions(d.state)
    expect(stop.map((x) => x.command)).toEqual([
      { call: 'StopMix', appId: APP, lane: 'normal', taskId: 'task-a', userId: 'alice' },
    ])
    expect(pendingDecisions(restoredWithoutCommands(d.state))).toEqual(stop)
  })
})
