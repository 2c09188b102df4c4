import { readRequestAuth, verifyRequestAuth, type ZegoCodeValue } from '@mixguard/zego-api'
import type { AppRegistry } from './apps.ts'

/** Who a ZEGO API call through the passthrough is from, as far as ingest can tell. */
export type CallIdentity =
  /** Signed with the app's ServerSecret, within ZEGO's window: forwarded, and recorded if a mix call. */
  | { kind: 'verified'; appId: number }
  /**
   * Ingest holds no ServerSecret to check it with: forwarded (ZEGO checks it) but never recorded, since
   * a record would rest on a claim nobody verified.
   */
  | { kind: 'unverifiable'; reason: 'app_not_served' | 'no_server_secret' }
  /** What ZEGO's gateway would refuse: answered in ZEGO's shape, never forwarded nor recorded. */
  | { kind: 'refused'; appId: number; code: ZegoCodeValue; message: string }

/**
 * Checks a call's signature as ZEGO's gateway does (zego-api's readRequestAuth/verifyRequestAuth, the
 * same code the simulator answers with): md5(AppId + SignatureNonce + ServerSecret + Timestamp),
 * Timestamp in seconds within 10 minutes of `nowMs`. `query` holds the first value of each parameter,
 * the one ZEGO (and the simulator) reads and the one a record would name.
 */
export function identifyCall(
  query: Readonly<Record<string, string | undefined>>,
  apps: AppRegistry,
  nowMs: number,
): CallIdentity {
  const text = query.AppId
  const appId = text !== undefined && /^\d{1,10}$/.test(text) ? Number(text) : undefined
  const app = appId === undefined ? undefined : apps.get(appId)
  if (appId === undefined || app === undefined) return { kind: 'unverifiable', reason: 'app_not_served' }
  if (app.serverSecret === null) return { kind: 'unverifiable', reason: 'no_server_secret' }
  const read = readRequestAuth(query)
  if (!read.ok) return { kind: 'refused', appId, code: read.code, message: read.message }
  const verified = verifyRequestAuth(read.auth, appId, app.serverSecret.reveal(), nowMs)
  if (!verified.ok) return { kind: 'refused', appId, code: verified.code, message: verified.message }
  return { kind: 'verified', appId }
}
