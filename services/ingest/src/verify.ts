import type { CallbackAuthFields } from '@mixguard/contracts'
import { verifyCallbackSignature } from '@mixguard/zego-api'
import type { AppRegistry, AppSecrets } from './apps.ts'

export type Rejection =
  | { status: 400; reason: 'missing_auth_field' | 'invalid_timestamp'; detail: string }
  | {
      status: 401
      reason: 'unknown_app' | 'stale_timestamp' | 'empty_nonce' | 'bad_signature'
      detail: string
    }

/** The app, and the timestamp and nonce the signature covers (checked present). */
export type Verified = { ok: true; app: AppSecrets; timestampSec: number; timestamp: string; nonce: string }

export interface VerifyContext {
  apps: AppRegistry
  nowMs: number
  freshnessWindowMs: number
}

/**
 * Checks a callback's identity before anything else is read: the AppID is one we serve, `timestamp`
 * is inside the freshness window (either direction: clocks drift), and `signature` matches one of the
 * app's callback secrets (two during a rotation). The body is not covered by ZEGO's signature; the
 * nonce store (nonce-store.ts) is what binds a signature to one body.
 */
export function verifyCallback(
  auth: CallbackAuthFields,
  ctx: VerifyContext,
): Verified | ({ ok: false } & Rejection) {
  const missing = (['appId', 'timestamp', 'nonce', 'signature'] as const).filter((k) => auth[k] === null)
  if (missing.length > 0) {
    const names = missing.map((k) => (k === 'appId' ? 'appid' : k))
    return reject(
      400,
      'missing_auth_field',
      `callback is missing ${names.join(', ')} (or it is not one value)`,
    )
  }
  const { appId, timestamp, nonce, signature } = auth as {
    [K in keyof CallbackAuthFields]: NonNullable<CallbackAuthFields[K]>
  }
  if (!/^\d{1,12}$/.test(timestamp)) {
    return reject(400, 'invalid_timestamp', 'timestamp must be Unix seconds')
  }
  const app = ctx.apps.get(appId)
  if (app === undefined) return reject(401, 'unknown_app', `AppID ${appId} is not served here`)
  const timestampSec = Number(timestamp)
  const skewMs = Math.abs(ctx.nowMs - timestampSec * 1000)
  if (skewMs > ctx.freshnessWindowMs) {
    return reject(
      401,
      'stale_timestamp',
      `timestamp is ${Math.round(skewMs / 1000)} s away from now; the window is ${ctx.freshnessWindowMs / 1000} s`,
    )
  }
  // One signature per (AppID, timestamp, nonce) is what replay protection rests on: an empty nonce
  // would let every callback of a second share one key.
  if (nonce === '') return reject(401, 'empty_nonce', 'nonce must not be empty')
  const authentic = app.callbackSecrets.some((secret) =>
    verifyCallbackSignature(secret.reveal(), timestamp, nonce, signature),
  )
  if (!authentic)
    return reject(401, 'bad_signature', `signature does not match any callback secret of AppID ${appId}`)
  return { ok: true, app, timestampSec, timestamp, nonce }
}

function reject<S extends Rejection['status']>(
  status: S,
  reason: Extract<Rejection, { status: S }>['reason'],
  detail: string,
): { ok: false } & Rejection {
  return { ok: false, status, reason, detail } as { ok: false } & Rejection
}
