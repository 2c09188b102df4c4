import type { z } from 'zod'
import { classifyZegoCode, MAX_RETRY_AFTER_MS, RATE_LIMIT_RETRY_AFTER_MS, ZegoError } from './errors.ts'
import { type Operation, ZegoEnvelope } from './operations.ts'
import type { HttpAnswer, TransportResult } from './transport.ts'

/** The result of a ZEGO call. Methods return it instead of throwing for ZEGO, HTTP or network failures. */
export type ZegoOutcome<T> = { ok: true; data: T; requestId: string } | { ok: false; error: ZegoError }

/** Turns what the transport brought back into an outcome. Pure: `nowMs` only dates a Retry-After header. */
export function toOutcome<D extends z.ZodType>(
  op: Operation<z.ZodType, D>,
  result: TransportResult,
  nowMs: number,
): ZegoOutcome<z.output<D>> {
  const action = op.action
  switch (result.kind) {
    case 'answer':
      return fromAnswer(op, result.answer, nowMs)
    case 'network':
      return failure({
        code: 'ZEGO_NETWORK',
        message: `${action}: network error${describe(result.cause)}`,
        errorClass: 'transient',
        retryable: true,
        action,
        cause: result.cause,
      })
    case 'timeout':
      return failure({
        code: 'ZEGO_TIMEOUT',
        message: `${action}: timed out${describe(result.cause)}`,
        errorClass: 'transient',
        retryable: true,
        action,
        cause: result.cause,
      })
    case 'aborted':
      return aborted(action, result.cause)
    case 'too_large':
      return failure({
        code: 'ZEGO_BAD_RESPONSE',
        message: `${action}: answer body too large (HTTP ${result.status})`,
        errorClass: 'transient',
        retryable: true,
        httpStatus: result.status,
        action,
      })
  }
}

export function aborted(action: string, cause: unknown): { ok: false; error: ZegoError } {
  return failure({
    code: 'ZEGO_ABORTED',
    message: `${action}: aborted by the caller`,
    errorClass: 'permanent',
    retryable: false,
    action,
    cause,
  })
}

function fromAnswer<D extends z.ZodType>(
  op: Operation<z.ZodType, D>,
  answer: HttpAnswer,
  nowMs: number,
): ZegoOutcome<z.output<D>> {
  const action = op.action
  const { status } = answer
  const statusOk = status >= 200 && status < 300
  let json: unknown
  let jsonError: unknown
  try {
    json = JSON.parse(answer.text)
  } catch (error) {
    jsonError = error
  }
  const envelope = jsonError === undefined ? ZegoEnvelope.safeParse(json) : undefined
  if (envelope === undefined || !envelope.success) {
    const cause = jsonError ?? envelope?.error
    if (!statusOk) return httpFailure(action, answer, nowMs, cause)
    return failure({
      code: 'ZEGO_BAD_RESPONSE',
      message: `${action}: HTTP ${status} answer is ${jsonError === undefined ? 'not a ZEGO answer' : 'not JSON'}: ${snippet(answer.text)}`,
      errorClass: 'transient',
      retryable: true,
      httpStatus: status,
      action,
      cause,
    })
  }
  const { Code, Message, RequestId, Data } = envelope.data
  if (Code !== 0) {
    // ZEGO's Code says more than the status line, whatever the status.
    const verdict = classifyZegoCode(Code)
    return failure({
      ...verdict,
      message: `${action}: ZEGO Code ${Code}${Message === '' ? '' : `: ${Message}`}`,
      zegoCode: Code,
      requestId: RequestId,
      httpStatus: status,
      action,
    })
  }
  if (!statusOk) return httpFailure(action, answer, nowMs, undefined, RequestId)
  const data = op.data.safeParse(Data ?? {})
  if (!data.success) {
    return failure({
      code: 'ZEGO_BAD_RESPONSE',
      message: `${action}: Data does not match ZEGO's documented shape: ${data.error.issues
        .map((issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`)
        .join('; ')}`,
      errorClass: 'transient',
      retryable: true,
      requestId: RequestId,
      httpStatus: status,
      action,
      cause: data.error,
    })
  }
  return { ok: true, data: data.data, requestId: RequestId }
}

function httpFailure(
  action: string,
  answer: HttpAnswer,
  nowMs: number,
  cause: unknown,
  requestId?: string,
): { ok: false; error: ZegoError } {
  const { status } = answer
  const retryAfterMs = parseRetryAfter(answer.headers['retry-after'], nowMs)
  const base = {
    code: 'ZEGO_HTTP' as const,
    message: `${action}: HTTP ${status}: ${snippet(answer.text)}`,
    httpStatus: status,
    requestId,
    action,
    cause,
  }
  if (status === 429) {
    return failure({
      ...base,
      code: 'ZEGO_RATE_LIMITED',
      errorClass: 'rate_limited',
      retryable: true,
      retryAfterMs: retryAfterMs ?? RATE_LIMIT_RETRY_AFTER_MS,
    })
  }
  if (status >= 500 || status === 408) {
    return failure({ ...base, errorClass: 'transient', retryable: true, retryAfterMs })
  }
  return failure({ ...base, errorClass: 'permanent', retryable: false })
}

/** Retry-After is delta-seconds or an HTTP date (RFC 9110 §10.2.3); bounded by MAX_RETRY_AFTER_MS. */
export function parseRetryAfter(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header
  if (value === undefined || value.trim() === '') return undefined
  const at = /^\d+$/.test(value.trim()) ? nowMs + Number(value.trim()) * 1000 : Date.parse(value)
  return Number.isNaN(at) ? undefined : Math.min(MAX_RETRY_AFTER_MS, Math.max(0, at - nowMs))
}

function failure(init: ConstructorParameters<typeof ZegoError>[0]): { ok: false; error: ZegoError } {
  return { ok: false, error: new ZegoError(init) }
}

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return ''
  const code = 'code' in cause && typeof cause.code === 'string' ? ` ${cause.code}` : ''
  return `${code}: ${cause.message}`
}

function snippet(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim()
  if (flat === '') return '(empty body)'
  return flat.length > 120 ? `${flat.slice(0, 120)}…` : flat
}
