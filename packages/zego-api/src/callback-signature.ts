import { hash, timingSafeEqual } from 'node:crypto'

/**
 * ZEGO's callback signature: sha1 over the lexicographically sorted strings
 * (callback secret, timestamp, nonce), concatenated, lowercase hex.
 * `room_close` sends `timestamp` as a JSON number, so numbers are accepted and written in decimal.
 */
export function callbackSignature(
  callbackSecret: string,
  timestamp: string | number,
  nonce: string | number,
): string {
  const parts = [callbackSecret, String(timestamp), String(nonce)].sort()
  // One-shot: no Hash object per callback (ingest checks every callback against one or two secrets).
  return hash('sha1', parts.join(''), 'hex')
}

/** Constant-time check of a callback's `signature` against one secret. */
export function verifyCallbackSignature(
  callbackSecret: string,
  timestamp: string | number,
  nonce: string | number,
  signature: string,
): boolean {
  // Callers pass values straight from an untrusted payload: a non-string is a mismatch, not a crash.
  if (typeof signature !== 'string') return false
  const expected = Buffer.from(callbackSignature(callbackSecret, timestamp, nonce), 'utf8')
  const given = Buffer.from(signature.toLowerCase(), 'utf8')
  return given.length === expected.length && timingSafeEqual(given, expected)
}
