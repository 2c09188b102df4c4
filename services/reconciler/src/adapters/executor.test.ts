import type { CommandDecision, Outcome } from '@mixguard/contracts'
import { createManualTime } from '@mixguard/time'
import { type ZegoClient, ZegoCode, ZegoError } from '@mixguard/zego-api'
import { describe, expect, it } from 'vitest'
import {
  type CoreInput,
  laneOf,
  ROOM_CHECK_INTERVAL_MS,
  ROOM_SWEEP_RULE,
  UNCONFIRMED_STOP_MIN_WAIT_MS,
} from '../core/index.ts'
import { createExecutor } from './executor.ts'
import { roomCheck } from './executor-test-decisions.ts'

const listFailed = (): ZegoError =>
  new ZegoError({
    code: 'ZEGO_FAILED',
    message: 'DescribeSimpleStreamList: Code 154',
    errorClass: 'transient',
    retryable: true,
    zegoCode: ZegoCode.RoomStreamListFailed,
    action: 'DescribeSimpleStreamList',
  })

/** A ZEGO client that answers the room's stream list with `failures` 154s, then the list. */
function listClient(failures: number, now: () => number) {
  const calls: number[] = []
  const lanes: (string | undefined)[] = []
  const client = {
    appId: 7,
    async describeSimpleStreamList(_request: unknown, options: unknown) {
      calls.push(now())
      lanes.push((options as { lane?: string } | undefined)?.lane)
      if (calls.length <= failures) return { ok: false as const, error: listFailed() }
      return { ok: true as const, data: { StreamList: [{ StreamId: 's-1' }] }, requestId: 'r' }
    },
  } as unknown as ZegoClient
  return { client, calls, lanes }
}

function run(failures: number, decision: CommandDecision = roomCheck) {
  const time = createManualTime(0)
  const { clock, timers } = time
  const { client, calls, lanes } = listClient(failures, clock.now)
  const outcomes: Outcome[] = []
  const inputs: CoreInput[] = []
  const executor = createExecutor({
    clientFor: () => client,
    clock,
    timers,
    random: () => 0.5,
    record: async (outcome) => {
      outcomes.push(outcome)
    },
    feedback: async (_appId, input) => {
      inputs.push(input)
    },
  })
  executor.submit(decision)
  const drive = async (): Promise<void> => {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve))
      const due = time.nextDueAt()
      if (due === undefined) return
      time.advanceTo(due)
    }
  }
  return { drive, calls, lanes, outcomes, inputs, executor }
}

describe('executor: room stream lists', () => {
  it("retries a failed list no sooner than ZEGO's per-room interval allows", async () => {
    const { drive, calls, inputs, executor } = run(2)
    await drive()
    await executor.drained()
    expect(calls).toHaveLength(3)
    for (let i = 1; i < calls.length; i++)
      expect((calls[i] ?? 0) - (calls[i - 1] ?? 0)).toBeGreaterThanOrEqual(ROOM_CHECK_INTERVAL_MS)
    expect(inputs).toEqual([
      { kind: 'room_streams', roomId: 'room-1', streamIds: ['s-1'], observedAt: calls[2] },
    ])
  })

  it('gives up on a room that keeps failing before the unconfirmed fallback would fire', async () => {
    const { drive, calls, outcomes } = run(100)
    await drive()
    expect(outcomes.at(-1)?.result).toBe('gave_up')
    expect((calls.at(-1) ?? 0) - (calls[0] ?? 0)).toBeLessThan(UNCONFIRMED_STOP_MIN_WAIT_MS)
  })
})

describe('executor: lanes', () => {
  const sweep: CommandDecision = {
    ...roomCheck,
    id: 'd-sweep',
    reason: 'silent',
    rule: ROOM_SWEEP_RULE,
    command: { ...roomCheck.command, lane: 'idle' },
  }

  it('supersession first, orphans and their confirmations next, checks after them, the room sweep last', () => {
    expect(laneOf({ ...roomCheck, action: 'stop', reason: 'superseded', rule: 'shared_output' })).toBe(
      'urgent',
    )
    expect(laneOf({ ...roomCheck, action: 'stop', rule: 'grace:normal_close' })).toBe('normal')
    expect(laneOf(roomCheck)).toBe('normal')
    expect(laneOf({ ...roomCheck, reason: 'silent' })).toBe('background')
    expect(laneOf(sweep)).toBe('idle')
  })

  it("runs a sweep's list in the idle lane and feeds the answer back as the room's streams", async () => {
    const { drive, lanes, inputs, executor } = run(0, sweep)
    await drive()
    await executor.drained()
    expect(lanes).toEqual(['idle'])
    expect(inputs).toMatchObject([{ kind: 'room_streams', roomId: 'room-1', streamIds: ['s-1'] }])
  })
})

describe('executor: commands', () => {
  it("runs a stop's command as it is: the task, the initiator UserId and the lane", async () => {
    const { clock, timers } = createManualTime(0)
    const requests: unknown[] = []
    const client = {
      async stopMix(request: unknown, options: { lane?: string }) {
        requests.push({ request, lane: options.lane })
        return { ok: true as const, data: undefined, requestId: 'r' }
      },
    } as unknown as ZegoClient
    const outcomes: Outcome[] = []
    const executor = createExecutor({
      clientFor: () => client,
      clock,
      timers,
      record: async (outcome) => {
        outcomes.push(outcome)
      },
      feedback: async () => {},
    })
    executor.submit({
      ...roomCheck,
      action: 'stop',
      reason: 'superseded',
      rule: 'shared_output',
      command: { call: 'StopMix', appId: 7, lane: 'urgent', taskId: 'task-1', userId: 'alice' },
    })
    await executor.drained()
    expect(requests).toEqual([{ request: { TaskId: 'task-1', UserId: 'alice' }, lane: 'urgent' }])
    expect(outcomes).toMatchObject([{ action: 'StopMix', result: 'stopped', taskId: 'task-1' }])
  })
})

describe('executor: an answer and its outcome record', () => {
  // The answer is fed back while its outcome is on its way to Kafka, so the stop it confirms can go
  // out in the same produce request; the shell acts on it only once the recording is durable.
  it('feeds the answer back at once, with the recording to wait for', async () => {
    const time = createManualTime(0)
    const { client } = listClient(0, time.clock.now)
    let land = () => {}
    const landed = new Promise<void>((resolve) => {
      land = resolve
    })
    const fed: { input: CoreInput; recorded: boolean }[] = []
    const executor = createExecutor({
      clientFor: () => client,
      clock: time.clock,
      timers: time.timers,
      record: () => landed,
      feedback: async (_appId, input, recorded) => {
        const seen = { input, recorded: false }
        fed.push(seen)
        await recorded
        seen.recorded = true
      },
    })
    executor.submit(roomCheck)
    await time.settle()
    expect(fed).toEqual([
      {
        input: { kind: 'room_streams', roomId: 'room-1', streamIds: ['s-1'], observedAt: 0 },
        recorded: false,
      },
    ])
    expect(executor.inFlight()).toBe(1)
    land()
    await executor.drained()
    expect(fed.map((f) => f.recorded)).toEqual([true])
  })
})
