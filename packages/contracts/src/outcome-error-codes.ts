/**
 * Every error code of a ZEGO call (zego-api's `ZegoError.code`). The ZEGO numeric code, when there was
 * one, travels beside it as `zegoCode`.
 */
export const ZEGO_ERROR_CODES = [
  /** ZEGO said "failed, please retry" (110200001, 110200007, 110200015, 110200151, 110200159; 154). */
  'ZEGO_FAILED',
  /** Too many calls: QPS overload or the per-UserId start/stop lock. Retry after `retryAfterMs`. */
  'ZEGO_RATE_LIMITED',
  /** 100000004: the signature is older than ZEGO allows. One retry with a fresh signature; then check NTP. */
  'ZEGO_SIGNATURE_EXPIRED',
  /** 100000005, 110200003: wrong AppId/ServerSecret. A configuration bug: never loop on it. */
  'ZEGO_AUTH_FAILED',
  /** 100000015: ZEGO's gateway failed internally. Bounded retry. */
  'ZEGO_GATEWAY_INTERNAL',
  /** ZEGO refused the request as it stands (bad parameters, not enabled, limits). Do not retry unchanged. */
  'ZEGO_REJECTED',
  /** 110200160: only the task's owner UserId may stop or update it. */
  'ZEGO_NOT_OWNER',
  /** 110209001: the mix task does not exist (never started, or already ended). */
  'ZEGO_TASK_NOT_FOUND',
  /** A Code this client does not know. Surfaced with the number; not retried. */
  'ZEGO_UNKNOWN_CODE',
  /** The connection failed (refused, reset, DNS, TLS) before a complete answer arrived. */
  'ZEGO_NETWORK',
  /** No complete answer within the call's timeout. */
  'ZEGO_TIMEOUT',
  /** An HTTP status other than 2xx, without a ZEGO answer in the body. */
  'ZEGO_HTTP',
  /** A 2xx answer that is not JSON, or not the shape ZEGO documents. */
  'ZEGO_BAD_RESPONSE',
  /** The request did not pass the operation's schema; nothing was sent. */
  'ZEGO_INVALID_REQUEST',
  /** The caller's AbortSignal fired; the call may or may not have reached ZEGO. */
  'ZEGO_ABORTED',
] as const

/**
 * Every `errorCode` an outcome may carry: the code of the failed ZEGO call, or NO_CREDENTIALS when no
 * ServerSecret is configured for the app. On the wire the field stays a string (the frozen v1 schema),
 * so a reader keeps a code a newer writer adds; writers are typed with this list.
 */
export const OUTCOME_ERROR_CODES = [...ZEGO_ERROR_CODES, 'NO_CREDENTIALS'] as const
export type OutcomeErrorCode = (typeof OUTCOME_ERROR_CODES)[number]
