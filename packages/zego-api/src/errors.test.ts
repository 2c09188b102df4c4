import { describe, expect, it } from 'vitest'
import { classifyZegoCode, ZegoError } from './errors.ts'

const span = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i)

// docs/zego.md §6.4, written out here independently of the table in errors.ts.
const transient = [110200001, 110200007, 110200015, 110200151, 110200159, 154]
const rateLimited = [
  110200005, 110200006, 110200190, 110200191, 110200194, 110200192, 110200193, 110208003, 206, 207, 1010,
  5007, 30002,
]
const permanent = [
  ...span(100000001, 100000003),
  ...span(100000006, 100000014),
  100000016,
  100000017,
  110200002,
  110200004,
  110200008,
  110200014,
  ...span(110200140, 110200142),
  ...span(110200153, 110200158),
  110200161,
  ...span(110200170, 110200179),
  110200184,
  110200185,
  110200197,
]

describe('classifyZegoCode', () => {
  it.each(transient)('%i is transient and retryable', (code) => {
    expect(classifyZegoCode(code)).toEqual({ code: 'ZEGO_FAILED', errorClass: 'transient', retryable: true })
  })

  it.each(rateLimited)('%i is rate limited, retryable after 1000 ms', (code) => {
    expect(classifyZegoCode(code)).toEqual({
      code: 'ZEGO_RATE_LIMITED',
      errorClass: 'rate_limited',
      retryable: true,
      retryAfterMs: 1000,
    })
  })

  it.each(permanent)('%i is a permanent caller error', (code) => {
    expect(classifyZegoCode(code)).toEqual({
      code: 'ZEGO_REJECTED',
      errorClass: 'permanent',
      retryable: false,
    })
  })

  it.each([100000005, 110200003])('%i (wrong signature or secret) is an auth error never retried', (code) => {
    expect(classifyZegoCode(code)).toEqual({ code: 'ZEGO_AUTH_FAILED', errorClass: 'auth', retryable: false })
  })

  it.each([
    [
      '100000004 (signature expired) is an auth problem worth exactly one retry with a fresh signature',
      100000004,
      { code: 'ZEGO_SIGNATURE_EXPIRED', errorClass: 'auth', retryable: true, maxRetries: 1 },
    ],
    [
      '100000015 (gateway internal) gets a bounded retry',
      100000015,
      { code: 'ZEGO_GATEWAY_INTERNAL', errorClass: 'transient', retryable: true, maxRetries: 2 },
    ],
    [
      '110200160 (not the owner) is permanent with its own code',
      110200160,
      { code: 'ZEGO_NOT_OWNER', errorClass: 'permanent', retryable: false },
    ],
    [
      '110209001 is task-not-found',
      110209001,
      { code: 'ZEGO_TASK_NOT_FOUND', errorClass: 'task_not_found', retryable: false },
    ],
  ])('%s', (_, code, expected) => {
    expect(classifyZegoCode(code)).toEqual(expected)
  })

  it('110200150 (an input stream is missing) and the legacy SEQ error are permanent', () => {
    expect(classifyZegoCode(110200150).code).toBe('ZEGO_REJECTED')
    expect(classifyZegoCode(110200103).code).toBe('ZEGO_REJECTED')
  })

  it.each([1, 110299999, 110240002, -3])('unknown code %i is permanent, not retried', (code) => {
    expect(classifyZegoCode(code)).toEqual({
      code: 'ZEGO_UNKNOWN_CODE',
      errorClass: 'permanent',
      retryable: false,
    })
  })
})

describe('ZegoError', () => {
  it('carries its data and chains the cause', () => {
    const cause = new Error('socket hang up')
    const data = {
      code: 'ZEGO_RATE_LIMITED',
      errorClass: 'rate_limited',
      retryable: true,
      retryAfterMs: 1000,
      zegoCode: 110200191,
      requestId: 'r-1',
      httpStatus: 200,
      action: 'StopMix',
    } as const
    const error = new ZegoError({ ...data, message: 'StopMix: ZEGO Code 110200191', cause })
    expect(error).toBeInstanceOf(Error)
    expect(error.name).toBe('ZegoError')
    expect(error.cause).toBe(cause)
    expect(error).toMatchObject(data)
  })

  it('has no cause property when none was given', () => {
    const error = new ZegoError({
      code: 'ZEGO_TIMEOUT',
      message: 'x',
      errorClass: 'transient',
      retryable: true,
    })
    expect('cause' in error).toBe(false)
  })
})
