import { readRequestAuth, verifyRequestAuth, ZegoCode } from '@mixguard/zego-api'
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
 * plausible order: presence and format first, then the app, then freshness, then the signature (the
 * last two are zego-api's, which ingest's passthrough uses too, so both refuse alike). Pure:
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
  const read = readRequestAuth(query)
  if (!read.ok) return fail(read.code, read.message)
  const app = findApp(appId)
  if (app === undefined) return fail(ZegoCode.SecretNotFound, `no ServerSecret for AppId ${appId}`)
  const verified = verifyRequestAuth(read.auth, appId, app.serverSecret, nowMs, maxSkewSec)
  if (!verified.ok) return fail(verified.code, verified.message)
  return { ok: true, app, action }
}
