import { createManualTime } from '@mixguard/time'
import type { ZegoClient } from '@mixguard/zego-api'
import { expect, test } from 'vitest'
import type { CoreInput } from '../core/index.ts'
import { createExecutor } from './executor.ts'
import { roomCheck, orphanStop as stop } from './executor-test-decisions.ts'

test('a decision cancelled (partition suspended) and submitted again on resuming runs again', async () => {
  const time = createManualTime(0)
  let calls = 0
  // A StopMix that hangs until its call is aborted, as a slow ZEGO would.
  const client = {
    stopMix: (_request: unknown, { signal }: { signal: AbortSignal }) => {
      calls++
      return new Promise((resolve) =>
        signal.addEventListener('abort', () =>
          resolve({ ok: false, error: { code: 'ZEGO_ABORTED', retryable: true } }),
        ),
      )
    },
  } as unknown as ZegoClient
  const executor = createExecutor({
    clientFor: () => client,
    record: async () => {},
    feedback: async () => {},
    clock: time.clock,
    timers: time.timers,
  })
  executor.submit(stop)
  expect(calls).toBe(1)
  executor.cancel([stop.appId])
  executor.submit(stop)
  await time.settle()
  expect(calls).toBe(2)
  expect(executor.inFlight()).toBe(1)
  executor.cancel([stop.appId])
  await time.settle()
  expect(executor.inFlight()).toBe(0)
})

// A partition suspended while a call's answer is being fed back (its session lease lapsed under load)
// drops that feedback: the decision stays pending and is submitted again on resuming. Calling ZEGO
// again would ask a room for a second list within 10 s (refused: the orphan's confirmation waits
// another 10 s at least) or stop a task twice. The answer it already has is fed back instead.
test('a decision answered but whose feedback was dropped is fed its answer again, not called again', async () => {
  const time = createManualTime(0)
  let calls = 0
  const client = {
    describeSimpleStreamList: async () => {
      calls++
      return { ok: true as const, data: { StreamList: [] }, requestId: 'r' }
    },
  } as unknown as ZegoClient
  const fed: CoreInput[] = []
  let suspended = true
  const executor = createExecutor({
    clientFor: () => client,
    record: async () => {},
    // The shell drops an input for a suspended partition.
    feedback: async (_appId, input) => {
      if (!suspended) fed.push(input)
    },
    clock: time.clock,
    timers: time.timers,
  })
  executor.submit(roomCheck)
  await executor.drained()
  executor.cancel([roomCheck.appId])
  suspended = false
  await time.advance(2_000)
  executor.submit(roomCheck)
  await executor.drained()
  expect(calls).toBe(1)
  expect(fed).toEqual([{ kind: 'room_streams', roomId: 'room-1', streamIds: [], observedAt: 0 }])
})
