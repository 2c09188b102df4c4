import { MIX_API_ACTIONS, type MixApiResponse, mixApiCallEvent, type ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { APP, closed, created, driver, mixStarted, startMix, T0 } from './test-kit.ts'

/**
 * Issue 9: the passthrough records a call's answer as it came, refusals included. Only a call ZEGO
 * answered with Code 0 changed anything at ZEGO, so only such a record may shape the reconciler's
 * state: anything else (another Code, an unreadable answer, no answer at all) must leave the state and
 * the decisions exactly as they would be without it, whatever the call claims.
 */

const notOk: fc.Arbitrary<MixApiResponse> = fc.oneof(
  fc.record({
    httpStatus: fc.constantFrom(200, 400, 401, 429, 500, 502, 503),
    code: fc.oneof(fc.integer({ min: 1, max: 2 ** 31 }), fc.integer({ min: -(2 ** 31), max: -1 })),
    message: fc.option(fc.string(), { nil: null }),
    requestId: fc.option(fc.string(), { nil: null }),
  }),
  fc.record({
    httpStatus: fc.constantFrom(200, 502, 504),
    code: fc.constant(null),
    message: fc.constant(null),
    requestId: fc.constant(null),
  }),
  fc.record({ error: fc.constantFrom('HeadersTimeoutError: timeout', 'SocketError: other side closed') }),
)

const taskIds = fc.constantFrom('task-a', 'task-b', 'task-new', '')
const streamIds = fc.constantFrom('s1', 's2', 'out-task-a', 'out-task-b', 'x')

const call = fc
  .record({
    action: fc.constantFrom(...MIX_API_ACTIONS),
    taskId: taskIds,
    userId: fc.constantFrom('svc', 'other'),
    roomId: fc.constantFrom('r1', 'r2'),
    inputs: fc.array(streamIds, { maxLength: 3 }),
    outputs: fc.array(streamIds, { maxLength: 2 }),
    sequence: fc.option(fc.integer({ min: 0, max: 10 }), { nil: undefined }),
    response: notOk,
  })
  .map(
    (c) =>
      (at: number): ZegoEvent =>
        mixApiCallEvent({
          appId: APP,
          action: c.action,
          request: {
            TaskId: c.taskId,
            UserId: c.userId,
            RoomId: c.roomId,
            MixInput: c.inputs.map((StreamId) => ({ StreamId })),
            MixOutput: c.outputs.map((StreamId) => ({ StreamId })),
            ...(c.sequence === undefined ? {} : { Sequence: c.sequence }),
          },
          response: c.response,
          requestedAt: at,
          receivedAt: at + 20,
        }),
  )

/** Two live streams, task-a mixing them (StartMix Code 0), task-b known from mix_start only. */
function scenario(): Array<{ event: ZegoEvent } | { tick: number }> {
  return [
    { event: created({ streamId: 's1', at: T0, seq: 1 }) },
    { event: created({ streamId: 's2', at: T0 + 100, seq: 2 }) },
    { event: startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1', 's2'] }) },
    { event: mixStarted({ taskId: 'task-b', at: T0 + 2_000, output: 'out-task-b' }) },
    { tick: T0 + 30_000 },
    { event: closed({ streamId: 's2', at: T0 + 40_000, seq: 3 }) },
    { tick: T0 + 600_000 },
  ]
}

describe('passthrough records that are not Code 0', () => {
  it('never change the state or the decisions, whatever they claim', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 0, max: 6 }), call), { maxLength: 8 }), (noise) => {
        const plain = driver()
        const noisy = driver()
        scenario().forEach((step, i) => {
          for (const d of [plain, noisy]) {
            if ('tick' in step) d.tick(step.tick)
            else d.event(step.event)
          }
          const now = 'tick' in step ? step.tick : step.event.receivedAt
          for (const [after, made] of noise) {
            const event = made(now)
            if (after === i) noisy.event(event, event.receivedAt)
          }
        })
        expect(noisy.state).toEqual(plain.state)
        expect(noisy.decisions).toEqual(plain.decisions)
      }),
      { numRuns: 200 },
    )
  })
})
