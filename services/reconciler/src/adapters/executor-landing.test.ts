import type { CommandDecision, Outcome } from '@mixguard/contracts'
import { createManualTime } from '@mixguard/time'
import { type ZegoClient, ZegoCode, ZegoError } from '@mixguard/zego-api'
import { describe, expect, it } from 'vitest'
import type { CoreInput } from '../core/index.ts'
import { createExecutor } from './executor.ts'
import { roomCheck, orphanStop as stop } from './executor-test-decisions.ts'

// A decision submitted with `landed` (its publish still on its way): a read (a room list,
// GetMixTaskInfo) is sent at once, and what it brings is recorded and fed back only once the decision
// landed; a StopMix is sent only then.

const info: CommandDecision = {
  ...roomCheck,
  id: 'd-info',
  reason: 'unconfirmed_stop',
  rule: 'get_mix_task_info',
  command: { call: 'GetMixTaskInfo', appId: 7, lane: 'background', taskId: 'task-1' },
}

const rateLimited = (): ZegoError =>
  new ZegoError({
    code: 'ZEGO_RATE_LIMITED',
    message: 'DescribeSimpleStreamList: too frequent',
    errorClass: 'rate_limited',
    retryable: true,
    zegoCode: ZegoCode.RoomQpsLimit,
    action: 'DescribeSimpleStreamList',
  })

/** A landing the test settles: `land()` or `refuse()`. */
function landing() {
  let land = () => {}
  let refuse = () => {}
  const promise = new Promise<void>((resolve, reject) => {
    land = resolve
    refuse = () => reject(new Error('refused'))
  })
  return { promise, land, refuse }
}

/** ZEGO answering each call at once (a room list with `failures` rate-limit answers first); calls timed. */
function setup(failures = 0) {
  const time = createManualTime(1_000)
  const calls: { action: string; at: number }[] = []
  const client = {
    async describeSimpleStreamList() {
      calls.push({ action: 'DescribeSimpleStreamList', at: time.clock.now() })
      if (calls.length <= failures) return { ok: false as const, error: rateLimited() }
      return { ok: true as const, data: { StreamList: [{ StreamId: 's-1' }] }, requestId: 'r' }
    },
    async getMixTaskInfo() {
      calls.push({ action: 'GetMixTaskInfo', at: time.clock.now() })
      return { ok: true as const, data: { TaskId: 'task-1' }, requestId: 'r' }
    },
    async stopMix() {
      calls.push({ action: 'StopMix', at: time.clock.now() })
      return { ok: true as const, data: undefined, requestId: 'r' }
    },
  } as unknown as ZegoClient
  const outcomes: Outcome[] = []
  const fed: CoreInput[] = []
  const executor = createExecutor({
    clientFor: () => client,
    clock: time.clock,
    timers: time.timers,
    random: () => 0.5,
    record: async (outcome) => {
      outcomes.push(outcome)
    },
    feedback: async (_appId, input) => {
      fed.push(input)
    },
  })
  return { time, calls, outcomes, fed, executor }
}

/** Submits `decision` with a landing that is refused once `meanwhile` looked; then nothing is in flight. */
async function refusedLanding(s: ReturnType<typeof setup>, decision: CommandDecision, meanwhile = () => {}) {
  const refused = landing()
  s.executor.submit(decision, refused.promise)
  await s.time.settle()
  meanwhile()
  refused.refuse()
  await s.time.settle()
  expect(s.executor.inFlight()).toBe(0)
}

describe('executor: a read sent while its decision lands', () => {
  it('a room list goes out at once; its answer, dated when ZEGO answered, is recorded and fed once the decision landed', async () => {
    const s = setup()
    const decision = landing()
    s.executor.submit(roomCheck, decision.promise)
    await s.time.settle()
    expect(s.calls).toEqual([{ action: 'DescribeSimpleStreamList', at: 1_000 }])
    await s.time.advance(250)
    expect(s.outcomes).toEqual([])
    expect(s.fed).toEqual([])
    decision.land()
    await s.executor.drained()
    expect(s.outcomes).toMatchObject([{ action: 'DescribeSimpleStreamList', result: 'observed', at: 1_000 }])
    expect(s.fed).toEqual([{ kind: 'room_streams', roomId: 'room-1', streamIds: ['s-1'], observedAt: 1_000 }])
  })

  it('GetMixTaskInfo goes the same way', async () => {
    const s = setup()
    const decision = landing()
    s.executor.submit(info, decision.promise)
    await s.time.settle()
    expect(s.calls.map((c) => c.action)).toEqual(['GetMixTaskInfo'])
    expect(s.outcomes).toEqual([])
    decision.land()
    await s.executor.drained()
    expect(s.outcomes).toMatchObject([{ action: 'GetMixTaskInfo', result: 'still_running', at: 1_000 }])
    expect(s.fed).toMatchObject([{ kind: 'outcome', outcome: { result: 'still_running' } }])
  })

  it('a decision that does not land: nothing recorded or fed, the call given up, and the decision submitted again runs', async () => {
    const s = setup()
    await refusedLanding(s, roomCheck, () => expect(s.calls).toHaveLength(1))
    expect(s.outcomes).toEqual([])
    expect(s.fed).toEqual([])
    // Decided again and published: ZEGO is asked again, and this answer is the one used.
    s.time.advanceSync(200)
    s.executor.submit(roomCheck, Promise.resolve())
    await s.executor.drained()
    expect(s.calls.map((c) => c.at)).toEqual([1_000, 1_200])
    expect(s.outcomes).toMatchObject([{ result: 'observed', at: 1_200 }])
    expect(s.fed).toMatchObject([{ observedAt: 1_200 }])
  })

  it('a retry of a read is recorded only once its decision landed, and not at all if it never does', async () => {
    const s = setup(1)
    // Rate limited: the retry waits ZEGO's per-room interval; its "retrying" outcome waits for the decision.
    await refusedLanding(s, roomCheck, () => {
      expect(s.calls).toHaveLength(1)
      expect(s.outcomes).toEqual([])
    })
    await s.time.advance(30_000)
    expect(s.calls).toHaveLength(1)
    expect(s.outcomes).toEqual([])
    expect(s.fed).toEqual([])
  })

  it('a StopMix submitted while its decision lands is sent only once it landed, never if it does not', async () => {
    const s = setup()
    await refusedLanding(s, stop)
    expect(s.calls).toEqual([])
    const decision = landing()
    s.executor.submit(stop, decision.promise)
    await s.time.settle()
    expect(s.calls).toEqual([])
    decision.land()
    await s.executor.drained()
    expect(s.calls.map((c) => c.action)).toEqual(['StopMix'])
    expect(s.outcomes).toMatchObject([{ action: 'StopMix', result: 'stopped' }])
  })
})
