import { ZEGO_ERROR_CODES } from '@mixguard/contracts'
import { ZegoCode } from './codes.ts'

/**
 * Stable codes callers switch on. The ZEGO numeric code, when there was one, is in `zegoCode`. The list
 * (with what each code means) is in contracts, because the codes cross the outcomes topic.
 */
export const zegoErrorCodes = ZEGO_ERROR_CODES
export type ZegoErrorCode = (typeof zegoErrorCodes)[number]

export type ZegoErrorClass = 'transient' | 'rate_limited' | 'auth' | 'permanent' | 'task_not_found'

export interface ZegoErrorInit {
  code: ZegoErrorCode
  message: string
  errorClass: ZegoErrorClass
  retryable: boolean
  retryAfterMs?: number | undefined
  /** When set, at most this many retries of this error are worth making, whatever the caller's attempts. */
  maxRetries?: number | undefined
  zegoCode?: number | undefined
  requestId?: string | undefined
  httpStatus?: number | undefined
  action?: string | undefined
  cause?: unknown
}

/** Every failure of a ZEGO call: retryability is data, so callers decide without parsing messages. */
export class ZegoError extends Error {
  override readonly name = 'ZegoError'
  readonly code: ZegoErrorCode
  readonly errorClass: ZegoErrorClass
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined
  readonly maxRetries: number | undefined
  readonly zegoCode: number | undefined
  readonly requestId: string | undefined
  readonly httpStatus: number | undefined
  /** The ZEGO Action (e.g. 'StopMix') the error came from. */
  readonly action: string | undefined

  constructor(init: ZegoErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause })
    this.code = init.code
    this.errorClass = init.errorClass
    this.retryable = init.retryable
    this.retryAfterMs = init.retryAfterMs
    this.maxRetries = init.maxRetries
    this.zegoCode = init.zegoCode
    this.requestId = init.requestId
    this.httpStatus = init.httpStatus
    this.action = init.action
  }
}

export interface ZegoCodeClass {
  code: ZegoErrorCode
  errorClass: ZegoErrorClass
  retryable: boolean
  retryAfterMs?: number
  maxRetries?: number
}

/** ZEGO counts calls per second; waiting one whole window is the least that can help. */
export const RATE_LIMIT_RETRY_AFTER_MS = 1000

/**
 * The longest wait a Retry-After header may ask for. The header is the answerer's to set: a huge value
 * would hold a stop for hours (and past 2^31 - 1 ms Node's timers fire after 1 ms instead). A minute is
 * far beyond any of ZEGO's per-second windows; a longer outage is met by the next retry.
 */
export const MAX_RETRY_AFTER_MS = 60_000

const range = (from: number, to: number): number[] =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i)

// docs/zego.md §6.4 (our reading of ZEGO's "handling suggestion" column), plus 154 from §4b.
const transientCodes = new Set<number>([
  ZegoCode.MixFailed,
  ZegoCode.MixUpdateFailed,
  ZegoCode.MixStopForwardFailed,
  ZegoCode.MixTaskFailed,
  ZegoCode.MixDispatchFailed,
  ZegoCode.RoomStreamListFailed,
])
const rateLimitedCodes = new Set<number>([
  ZegoCode.MixStartLock,
  ZegoCode.MixStopLock,
  ZegoCode.MixStartOverload,
  ZegoCode.MixStopOverload,
  ZegoCode.MixOverload,
  ZegoCode.MixSearchOverload,
  ZegoCode.MixSearchTaskOverload,
  ZegoCode.MixForwardOverload,
  ZegoCode.RoomAppQpsLimit,
  ZegoCode.RoomQpsLimit,
  // media-service "call frequency too high" (docs/zego.md §6.3)
  1010,
  5007,
  30002,
])
const authCodes = new Set<number>([ZegoCode.SignatureInvalid, ZegoCode.MixAuthFailed])
const permanentCodes = new Set<number>([
  ZegoCode.BadHost,
  ...range(100000001, 100000003),
  ...range(100000006, 100000014),
  100000016,
  100000017,
  110200002,
  110200004,
  110200008,
  110200014,
  ...range(110200140, 110200142),
  // 110200150 (an input is missing): not "retry", ZEGO says publish or remove it (docs/zego.md §6.4).
  ZegoCode.MixInputMissing,
  ...range(110200153, 110200158),
  110200161,
  ...range(110200170, 110200179),
  110200184,
  110200185,
  110200197,
  // Legacy SEQ error: the same Sequence again will fail again.
  ZegoCode.MixSequenceError,
])

/** Maps a ZEGO `Code` to what a caller should do about it. Pure. `Code` 0 is not an error and is not mapped. */
export function classifyZegoCode(zegoCode: number): ZegoCodeClass {
  if (zegoCode === ZegoCode.MixTaskNotFound) {
    return { code: 'ZEGO_TASK_NOT_FOUND', errorClass: 'task_not_found', retryable: false }
  }
  if (zegoCode === ZegoCode.SignatureExpired) {
    return { code: 'ZEGO_SIGNATURE_EXPIRED', errorClass: 'auth', retryable: true, maxRetries: 1 }
  }
  if (zegoCode === ZegoCode.GatewayInternal) {
    return { code: 'ZEGO_GATEWAY_INTERNAL', errorClass: 'transient', retryable: true, maxRetries: 2 }
  }
  if (zegoCode === ZegoCode.MixNotOwner) {
    return { code: 'ZEGO_NOT_OWNER', errorClass: 'permanent', retryable: false }
  }
  if (transientCodes.has(zegoCode)) return { code: 'ZEGO_FAILED', errorClass: 'transient', retryable: true }
  if (rateLimitedCodes.has(zegoCode)) {
    return {
      code: 'ZEGO_RATE_LIMITED',
      errorClass: 'rate_limited',
      retryable: true,
      retryAfterMs: RATE_LIMIT_RETRY_AFTER_MS,
    }
  }
  if (authCodes.has(zegoCode)) return { code: 'ZEGO_AUTH_FAILED', errorClass: 'auth', retryable: false }
  if (permanentCodes.has(zegoCode))
    return { code: 'ZEGO_REJECTED', errorClass: 'permanent', retryable: false }
  return { code: 'ZEGO_UNKNOWN_CODE', errorClass: 'permanent', retryable: false }
}
