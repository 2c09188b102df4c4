import type { IncomingHttpHeaders } from 'node:http'
import {
  appKey,
  encodeEvent,
  MIX_API_ACTIONS,
  type MixApiAction,
  type MixApiResponse,
  mixApiCallEvent,
  mixApiResponse,
} from '@mixguard/contracts'
import type { Clock } from '@mixguard/time'
import { type Dispatcher, request } from 'undici'
import type { AppRegistry } from './apps.ts'
import type { Publisher } from './publisher.ts'

export interface PassthroughDeps {
  baseUrl: string
  dispatcher: Dispatcher
  timeoutMs: number
  clock: Clock
  apps: AppRegistry
  publisher: Pick<Publisher, 'publish'>
  eventsTopic: string
  /** Called when a mix call could not be recorded at all (not even spooled). */
  onRecordLost: (error: unknown, action: MixApiAction, appId: number) => void
}

export interface ForwardRequest {
  method: string
  /** The query string exactly as received, without the `?`. */
  rawQuery: string
  headers: IncomingHttpHeaders
  body: Buffer | null
}

export type ForwardResult =
  | { ok: true; status: number; headers: Array<[string, string | string[]]>; body: Buffer; action: string }
  | { ok: false; error: string; action: string }

// Hop-by-hop headers belong to one connection, not to the message (RFC 9110 §7.6.1); host and length
// are the new connection's. accept-encoding is dropped so ZEGO answers in plain bytes that ingest can
// record and return as they are.
const REQUEST_DROP = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
  'accept-encoding',
  'expect',
])
const RESPONSE_DROP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'content-length',
])

const isMixAction = (action: string | null): action is MixApiAction =>
  action !== null && (MIX_API_ACTIONS as readonly string[]).includes(action)

/**
 * Forwards one ZEGO server-API call unchanged (method, query, body) to the configured base URL and
 * hands back ZEGO's status, headers and body bytes. StartMix/StopMix/StartAutoMix/StopAutoMix are
 * recorded with ZEGO's answer afterwards, through the publisher, never delaying the answer: the
 * StartMix request is the only place that says which streams a task mixes.
 */
export async function forward(req: ForwardRequest, deps: PassthroughDeps): Promise<ForwardResult> {
  const params = new URLSearchParams(req.rawQuery)
  const action = params.get('Action') ?? ''
  const target = new URL(deps.baseUrl)
  target.search = req.rawQuery
  const requestedAt = deps.clock.now()
  const headers: Record<string, string | string[]> = {}
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined && !REQUEST_DROP.has(name)) headers[name] = value
  }

  let result: ForwardResult
  let response: MixApiResponse
  try {
    const upstream = await request(target, {
      method: req.method as Dispatcher.HttpMethod,
      headers,
      body: req.body === null || req.body.length === 0 ? null : req.body,
      dispatcher: deps.dispatcher,
      headersTimeout: deps.timeoutMs,
      bodyTimeout: deps.timeoutMs,
    })
    const body = Buffer.from(await upstream.body.arrayBuffer())
    const out: Array<[string, string | string[]]> = []
    for (const [name, value] of Object.entries(upstream.headers)) {
      if (value !== undefined && !RESPONSE_DROP.has(name.toLowerCase())) out.push([name, value])
    }
    result = { ok: true, status: upstream.statusCode, headers: out, body, action }
    response = mixApiResponse(upstream.statusCode, parseJson(body))
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error)
    result = { ok: false, error: message, action }
    response = { error: message }
  }

  if (isMixAction(action)) record(action, params, req, response, requestedAt, deps)
  return result
}

function record(
  action: MixApiAction,
  params: URLSearchParams,
  req: ForwardRequest,
  response: MixApiResponse,
  requestedAt: number,
  deps: PassthroughDeps,
): void {
  const appId = Number(params.get('AppId'))
  // Only apps this ingest serves: the passthrough is open to anyone who can reach it, the topic is not.
  if (!Number.isInteger(appId) || deps.apps.get(appId) === undefined) return
  const event = mixApiCallEvent({
    appId,
    action,
    request: req.body === null ? null : (parseJson(req.body) ?? req.body.toString('utf8')),
    response,
    requestedAt,
    receivedAt: deps.clock.now(),
  })
  deps.publisher
    .publish({ topic: deps.eventsTopic, key: appKey(appId), value: encodeEvent(event) })
    .catch((error: unknown) => deps.onRecordLost(error, action, appId))
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}
