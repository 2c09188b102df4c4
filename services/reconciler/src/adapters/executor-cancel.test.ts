import type { CommandDecision } from '@mixguard/contracts'
import { createManualTime } from '@mixguard/time'
import type { ZegoClient } from '@mixguard/zego-api'
import { expect, test } from 'vitest'
import { createExecutor } from './executor.ts'

const stop: CommandDecision = {
  v: 1,
  id: 'd-1',
  appId: 4001,
  taskId: 'task-a',
  action: 'stop',
  reason: 'orphaned',
  rule: 'grace:normal',
  evidence: { eventIds: [], deadline: null, supersededBy: null, note: null },
  decidedAt: 0,
  command: { call: 'StopMix', appId: 4001, lane: 'normal', taskId: 'task-a', userId: null },
}

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
