import { requestSignature, ZegoCode } from '@mixguard/zego-api'
import type { App } from './world-types.ts'

/** The Actions the simulator speaks. */
export const ACTIONS = [
  'StartMix',
  'StopMix',
  'GetMixTaskInfo',
  'StartAutoMix',
  'StopAutoMix',
  'DescribeSimpleStreamList',
] as const
export type Action = (typeof ACTIONS)[number]

const isAction = (s: string): s is Action => (ACTIONS as readonly string[]).includes(s)

export type CommonCheck =
  | { ok: true; app: App; action: Action }
  | { ok: false; code: number; message: string; appId: number | undefined; action: string | undefined }

/**
 * ZEGO's gateway checks of the common query parameters (docs/zego.md §1.2–1.3, §6.1), in a
 * plausible order: presence and format first, then the app, then freshness, then the signature. Pure:
 * `nowMs` is the real wall clock (ZEGO's), never simulated time.
 */
export function checkCommonParams(
  query: Readonly<Record<string, string | undefined>>,
  findApp: (appId: number) => App | undefined,
  nowMs: number,
  maxSkewSec: number,
): CommonCheck {
  const rawAppId = query.AppId
  const appId = rawAppId !== undefined && /^\d{1,10}$/.test(rawAppId) ? Number(rawAppId) : undefined
  const action = query.Action
  const fail = (code: number, message: string): CommonCheck => ({ ok: false, code, message, appId, action })

  if (appId === undefined || appId > 0xffffffff)
    return fail(ZegoCode.AppIdFormat, 'AppId is missing or not a uint32')
  if (action === undefined || action === '') return fail(ZegoCode.ActionEmpty, 'Action is empty')
  if (!isAction(action)) return fail(ZegoCode.ActionUnsupported, `Action ${action} is not supported`)
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
  const app = findApp(appId)
  if (app === undefined) return fail(ZegoCode.SecretNotFound, `no ServerSecret for AppId ${appId}`)
  if (Math.abs(nowMs / 1000 - Number(timestamp)) > maxSkewSec)
    return fail(ZegoCode.SignatureExpired, 'signature expired: Timestamp too far from server time')
  if (signature.toLowerCase() !== requestSignature(appId, nonce, app.serverSecret, timestamp))
    return fail(ZegoCode.SignatureInvalid, 'signature invalid')
  return { ok: true, app, action }
}
