import { timingSafeEqual } from 'node:crypto'
import { ZegoCode, type ZegoCodeValue } from './codes.ts'
import { requestSignature } from './sign.ts'

/** How far a request's Timestamp may be from the receiver's clock, either way: ZEGO allows 10 minutes. */
export const REQUEST_MAX_SKEW_SEC = 600

/** The signature parameters of one request's query string, read as ZEGO's gateway reads them. */
export interface RequestAuth {
  timestamp: string
  nonce: string
  signature: string
}

/** A refusal in ZEGO's own terms: the gateway's `Code` and a `Message`. */
export interface RequestAuthFailure {
  ok: false
  code: ZegoCodeValue
  message: string
}

/**
 * The presence and format checks of ZEGO's gateway on the signature parameters (docs/zego.md §1.2,
 * §6.1), in the order of its codes: Timestamp, SignatureNonce, Signature, SignatureVersion. `query`
 * holds the first value of each parameter.
 */
export function readRequestAuth(
  query: Readonly<Record<string, string | undefined>>,
): { ok: true; auth: RequestAuth } | RequestAuthFailure {
  const timestamp = query.Timestamp
  if (timestamp === undefined || timestamp === '') return fail(ZegoCode.TimestampEmpty, 'Timestamp is empty')
  if (!/^\d{1,12}$/.test(timestamp)) return fail(ZegoCode.TimestampFormat, 'Timestamp must be Unix seconds')
  const nonce = query.SignatureNonce
  if (nonce === undefined || nonce === '') return fail(ZegoCode.NonceEmpty, 'SignatureNonce is empty')
  const signature = query.Signature
  if (signature === undefined || signature === '') return fail(ZegoCode.SignatureEmpty, 'Signature is empty')
  const version = query.SignatureVersion
  if (version === undefined || version === '')
    return fail(ZegoCode.SignatureVersionEmpty, 'SignatureVersion is empty')
  if (version !== '2.0') return fail(ZegoCode.SignatureVersionInvalid, 'SignatureVersion must be 2.0')
  return { ok: true, auth: { timestamp, nonce, signature } }
}

/**
 * ZEGO's freshness and signature checks for an app whose ServerSecret is known (docs/zego.md §1.3):
 * Timestamp (seconds) within `maxSkewSec` of `nowMs`, then
 * Signature = md5(AppId + SignatureNonce + ServerSecret + Timestamp), compared in constant time.
 * Pure. The simulator answers with it as ZEGO; ingest's passthrough refuses with it before it forwards.
 */
export function verifyRequestAuth(
  auth: RequestAuth,
  appId: number,
  serverSecret: string,
  nowMs: number,
  maxSkewSec: number = REQUEST_MAX_SKEW_SEC,
): { ok: true } | RequestAuthFailure {
  if (Math.abs(nowMs / 1000 - Number(auth.timestamp)) > maxSkewSec)
    return fail(ZegoCode.SignatureExpired, 'signature expired: Timestamp too far from server time')
  const expected = Buffer.from(requestSignature(appId, auth.nonce, serverSecret, auth.timestamp), 'utf8')
  const given = Buffer.from(auth.signature.toLowerCase(), 'utf8')
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return fail(ZegoCode.SignatureInvalid, 'signature invalid')
  return { ok: true }
}

const fail = (code: ZegoCodeValue, message: string): RequestAuthFailure => ({ ok: false, code, message })
