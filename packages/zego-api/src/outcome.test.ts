import { describe, expect, it } from 'vitest'
import { MAX_RETRY_AFTER_MS } from './errors.ts'
import { operations } from './operations.ts'
import { parseRetryAfter, toOutcome, type ZegoOutcome } from './outcome.ts'
import type { TransportResult } from './transport.ts'

const now = Date.parse('2026-01-01T00:00:00Z')

function errorOf(outcome: ZegoOutcome<unknown>) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`)
  return outcome.error
}

const answer = (status: number, body: unknown, headers: Record<string, string> = {}): TransportResult => ({
  kind: 'answer',
  answer: { status, headers, text: typeof body === 'string' ? body : JSON.stringify(body) },
})

describe('toOutcome', () => {
  it('returns the validated Data and the RequestId on Code 0', () => {
    const outcome = toOutcome(
      operations.GetMixTaskInfo,
      answer(200, {
        Code: 0,
        Message: 'success',
        RequestId: 'r-1',
        Data: { TaskInfo: { TaskId: 't', MixDuration: 5 } },
      }),
      now,
    )
    expect(outcome).toEqual({
      ok: true,
      data: { TaskInfo: { TaskId: 't', MixDuration: 5 } },
      requestId: 'r-1',
    })
  })

  it('returns undefined data for StopMix whatever Data holds', () => {
    const outcome = toOutcome(
      operations.StopMix,
      answer(200, { Code: 0, Message: 'ok', RequestId: 'r', Data: {} }),
      now,
    )
    expect(outcome).toEqual({ ok: true, data: undefined, requestId: 'r' })
  })

  it('classifies a non-zero Code and keeps the number, message, RequestId and status', () => {
    const outcome = toOutcome(
      operations.StopMix,
      answer(200, { Code: 110200191, Message: 'stop overload', RequestId: 'r-2' }),
      now,
    )
    expect(errorOf(outcome)).toMatchObject({
      code: 'ZEGO_RATE_LIMITED',
      errorClass: 'rate_limited',
      retryable: true,
      retryAfterMs: 1000,
      zegoCode: 110200191,
      requestId: 'r-2',
      httpStatus: 200,
      action: 'StopMix',
      message: 'StopMix: ZEGO Code 110200191: stop overload',
    })
  })

  it('surfaces an unknown Code with its number', () => {
    const outcome = toOutcome(
      operations.StopMix,
      answer(200, { Code: 123456, Message: 'new', RequestId: 'r' }),
      now,
    )
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_UNKNOWN_CODE', zegoCode: 123456, retryable: false })
    expect(errorOf(outcome).message).toContain('123456')
  })

  it("trusts ZEGO's Code over the HTTP status", () => {
    const outcome = toOutcome(
      operations.StopMix,
      answer(500, { Code: 110209001, Message: '', RequestId: 'r' }),
      now,
    )
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_TASK_NOT_FOUND', httpStatus: 500 })
  })

  it('treats Code 0 under an error status as an HTTP failure', () => {
    const outcome = toOutcome(operations.StopMix, answer(503, { Code: 0, Message: '', RequestId: 'r' }), now)
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_HTTP', retryable: true, requestId: 'r' })
  })

  it('maps a 2xx that is not JSON, or not a ZEGO answer, to a transient ZEGO_BAD_RESPONSE', () => {
    for (const body of ['<html>oops</html>', '', { hello: 'world' }, { Code: 'zero' }]) {
      const outcome = toOutcome(operations.StopMix, answer(200, body), now)
      expect(errorOf(outcome)).toMatchObject({
        code: 'ZEGO_BAD_RESPONSE',
        errorClass: 'transient',
        retryable: true,
        httpStatus: 200,
      })
    }
  })

  it('maps Code 0 with Data of the wrong shape to ZEGO_BAD_RESPONSE, naming the field', () => {
    const outcome = toOutcome(
      operations.GetMixTaskInfo,
      answer(200, {
        Code: 0,
        Message: 'ok',
        RequestId: 'r',
        Data: { TaskInfo: { TaskId: 't', MixDuration: '5' } },
      }),
      now,
    )
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_BAD_RESPONSE', retryable: true, requestId: 'r' })
    expect(errorOf(outcome).message).toContain('TaskInfo.MixDuration')
  })

  it('maps a non-JSON 5xx to a transient ZEGO_HTTP', () => {
    const outcome = toOutcome(operations.StartMix, answer(502, '<html>Bad Gateway</html>'), now)
    expect(errorOf(outcome)).toMatchObject({
      code: 'ZEGO_HTTP',
      errorClass: 'transient',
      retryable: true,
      httpStatus: 502,
    })
  })

  it('maps HTTP 429 to rate limited, honouring Retry-After', () => {
    const withHeader = toOutcome(operations.StopMix, answer(429, 'slow down', { 'retry-after': '3' }), now)
    expect(errorOf(withHeader)).toMatchObject({ code: 'ZEGO_RATE_LIMITED', retryAfterMs: 3000 })
    const without = toOutcome(operations.StopMix, answer(429, 'slow down'), now)
    expect(errorOf(without)).toMatchObject({ code: 'ZEGO_RATE_LIMITED', retryAfterMs: 1000 })
  })

  it('maps other 4xx without a ZEGO answer to a permanent ZEGO_HTTP', () => {
    const outcome = toOutcome(operations.StopMix, answer(404, 'not found'), now)
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_HTTP', errorClass: 'permanent', retryable: false })
  })

  it('maps transport failures', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    const network = toOutcome(operations.StopMix, { kind: 'network', cause }, now)
    expect(errorOf(network)).toMatchObject({ code: 'ZEGO_NETWORK', retryable: true, cause })
    expect(errorOf(network).message).toContain('ECONNREFUSED')
    const timeout = toOutcome(operations.StopMix, { kind: 'timeout', cause }, now)
    expect(errorOf(timeout)).toMatchObject({ code: 'ZEGO_TIMEOUT', errorClass: 'transient', retryable: true })
    const aborted = toOutcome(operations.StopMix, { kind: 'aborted', cause }, now)
    expect(errorOf(aborted)).toMatchObject({ code: 'ZEGO_ABORTED', retryable: false })
    const large = toOutcome(operations.StopMix, { kind: 'too_large', status: 200 }, now)
    expect(errorOf(large)).toMatchObject({ code: 'ZEGO_BAD_RESPONSE', retryable: true })
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP dates, and ignores garbage', () => {
    expect(parseRetryAfter('2', now)).toBe(2000)
    expect(parseRetryAfter(['5', '9'], now)).toBe(5000)
    expect(parseRetryAfter(new Date(now + 4000).toUTCString(), now)).toBe(4000)
    expect(parseRetryAfter(new Date(now - 4000).toUTCString(), now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
  })

  it('never asks for more than MAX_RETRY_AFTER_MS, however far off the header points', () => {
    // Past 2^31 - 1 ms Node's setTimeout fires after 1 ms; hours would stall a stop.
    expect(parseRetryAfter('99999999999', now)).toBe(MAX_RETRY_AFTER_MS)
    expect(parseRetryAfter('3600', now)).toBe(MAX_RETRY_AFTER_MS)
    expect(parseRetryAfter(new Date(now + 86_400_000).toUTCString(), now)).toBe(MAX_RETRY_AFTER_MS)
    expect(parseRetryAfter(String(MAX_RETRY_AFTER_MS / 1000), now)).toBe(MAX_RETRY_AFTER_MS)
  })
})
