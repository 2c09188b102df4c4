/**
 * Every `errorCode` an outcome may carry: the zego-api error code of the failed call (the reconciler's
 * compiler checks that this list holds every one), or NO_CREDENTIALS when no ServerSecret is configured
 * for the app. On the wire the field stays a string (the frozen v1 schema), so a reader keeps a code a
 * newer writer adds; writers are typed with this list.
 */
export const OUTCOME_ERROR_CODES = [
  'ZEGO_FAILED',
  'ZEGO_RATE_LIMITED',
  'ZEGO_SIGNATURE_EXPIRED',
  'ZEGO_AUTH_FAILED',
  'ZEGO_GATEWAY_INTERNAL',
  'ZEGO_REJECTED',
  'ZEGO_NOT_OWNER',
  'ZEGO_TASK_NOT_FOUND',
  'ZEGO_UNKNOWN_CODE',
  'ZEGO_NETWORK',
  'ZEGO_TIMEOUT',
  'ZEGO_HTTP',
  'ZEGO_BAD_RESPONSE',
  'ZEGO_INVALID_REQUEST',
  'ZEGO_ABORTED',
  'NO_CREDENTIALS',
] as const
export type OutcomeErrorCode = (typeof OUTCOME_ERROR_CODES)[number]
