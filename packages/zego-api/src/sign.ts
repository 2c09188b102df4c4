import { createHash, randomBytes } from 'node:crypto'

/** The common query parameters every ZEGO server-API request carries. */
export interface SignedQuery {
  AppId: string
  SignatureNonce: string
  Timestamp: string
  Signature: string
  SignatureVersion: '2.0'
}

/** ZEGO's request signature: md5 over AppId + SignatureNonce + ServerSecret + Timestamp, lowercase hex. */
export function requestSignature(
  appId: number | string,
  nonce: string,
  serverSecret: string,
  timestampSec: number | string,
): string {
  return createHash('md5').update(`${appId}${nonce}${serverSecret}${timestampSec}`, 'utf8').digest('hex')
}

/** A fresh 16-hex-character nonce (8 random bytes), as ZEGO documents it. */
export function newSignatureNonce(): string {
  return randomBytes(8).toString('hex')
}

/** Signs one request. `nowMs` and `nonce` come in so that callers (and tests) own the clock and randomness. */
export function signQuery(
  appId: number | string,
  serverSecret: string,
  nowMs: number,
  nonce: string = newSignatureNonce(),
): SignedQuery {
  const timestamp = Math.floor(nowMs / 1000)
  return {
    AppId: String(appId),
    SignatureNonce: nonce,
    Timestamp: String(timestamp),
    Signature: requestSignature(appId, nonce, serverSecret, timestamp),
    SignatureVersion: '2.0',
  }
}
