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
import { ZegoCode } from '@mixguard/zego-api'
import { type Dispatcher, request } from 'undici'
import type { AppRegistry } from './apps.ts'
import { endToEndHeaders } from './hop-headers.ts'
import { type CallIdentity, identifyCall } from './passthrough-auth.ts'
import type { Publisher } from './publisher.ts'
import { readUpstreamAnswer, type UpstreamAnswer } from './upstream-answer.ts'

export interface PassthroughDeps {
  baseUrl: string
  dispatcher: Dispatcher
  timeoutMs: number
  /** The largest answer (bytes, decoded) passed back; a larger one is refused and not recorded. */
  answerLimitBytes: number
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
  /** As read by the body parser: already decoded from any content-encoding. */
  body: Buffer | null
  /** Ingest's request id: the RequestId of an answer ingest gives in ZEGO's shape. */
  requestId: string
}

export type ForwardResult =
  | {
      ok: true
      status: number
      headers: Array<[string, string | string[]]>
      body: Buffer
      action: string
      /** The access log's and metrics' outcome: `http_<status>` for ZEGO's own answers. */
      outcome: string
      /** Why ingest answered in ZEGO's shape itself, instead of ZEGO: for the log. */
      refusal?: string
    }
  | { ok: false; error: string; action: string }

// Host and length are the new connection's. accept-encoding is dropped so ZEGO answers in plain bytes
// that ingest can record and return; content-encoding because the body parser already decoded the body.
const REQUEST_DROP = ['host', 'content-length', 'accept-encoding', 'content-encoding', 'expect']
const RESPONSE_DROP = ['content-length']

const isMixAction = (action: string): action is MixApiAction =>
  (MIX_API_ACTIONS as readonly string[]).includes(action)

/**
 * Forwards one ZEGO server-API call (method, query, body) to the configured base URL and hands back
 * ZEGO's status, headers and body. A call for an app whose ServerSecret ingest holds is checked first,
 * as ZEGO would check it; a failing one is answered in ZEGO's shape and neither forwarded nor recorded.
 * Verified StartMix/StopMix/StartAutoMix/StopAutoMix calls are recorded with ZEGO's answer as it came,
 * through the publisher, never delaying the answer: the StartMix request is the only place that says
 * which streams a task mixes. Calls ingest cannot verify are forwarded and never recorded.
 */
export async function forward(req: ForwardRequest, deps: PassthroughDeps): Promise<ForwardResult> {
  const params = new URLSearchParams(req.rawQuery)
  const action = params.get('Action') ?? ''
  const requestedAt = deps.clock.now()
  const identity = identifyCall(firstValues(params), deps.apps, requestedAt)
  if (identity.kind === 'refused') {
    return zegoAnswer(401, identity.code, identity.message, req, action, 'signature_refused')
  }

  const target = new URL(deps.baseUrl)
  target.search = req.rawQuery
  let upstream: Dispatcher.ResponseData
  let answer: UpstreamAnswer
  try {
    upstream = await request(target, {
      method: req.method as Dispatcher.HttpMethod,
      headers: Object.fromEntries(endToEndHeaders(req.headers, REQUEST_DROP)),
      body: req.body === null || req.body.length === 0 ? null : req.body,
      dispatcher: deps.dispatcher,
      headersTimeout: deps.timeoutMs,
      bodyTimeout: deps.timeoutMs,
    })
    answer = await readUpstreamAnswer(upstream.body, upstream.headers, deps.answerLimitBytes)
  } catch (error) {
    // No answer, or one that broke off mid-body: what ZEGO said is unknown.
    const message = errorText(error)
    record(identity, action, req, { error: message }, requestedAt, deps)
    return { ok: false, error: message, action }
  }
  if (!answer.ok) {
    // Not recorded: the answer that would say what happened is not at hand.
    const detail = `${answer.detail}; not recorded (the call may have taken effect at ZEGO)`
    return zegoAnswer(502, ZegoCode.GatewayInternal, detail, req, action, `answer_${answer.reason}`)
  }

  const drop = answer.decoded ? [...RESPONSE_DROP, 'content-encoding'] : RESPONSE_DROP
  record(
    identity,
    action,
    req,
    mixApiResponse(upstream.statusCode, parseJson(answer.body)),
    requestedAt,
    deps,
  )
  return {
    ok: true,
    status: upstream.statusCode,
    headers: endToEndHeaders(upstream.headers, drop),
    body: answer.body,
    action,
    outcome: `http_${upstream.statusCode}`,
  }
}

/** An answer of ingest's own, in ZEGO's shape (`Code`, `Message`, `RequestId`), so ZEGO clients read it. */
function zegoAnswer(
  status: number,
  code: number,
  message: string,
  req: ForwardRequest,
  action: string,
  outcome: string,
): ForwardResult {
  const body = Buffer.from(JSON.stringify({ Code: code, Message: message, RequestId: req.requestId }))
  return {
    ok: true,
    status,
    headers: [['content-type', 'application/json; charset=utf-8']],
    body,
    action,
    outcome,
    refusal: `${code}: ${message}`,
  }
}

/** Only verified mix calls: an unverified record would let anyone who reaches ingest write the topic. */
function record(
  identity: CallIdentity,
  action: string,
  req: ForwardRequest,
  response: MixApiResponse,
  requestedAt: number,
  deps: PassthroughDeps,
): void {
  if (identity.kind !== 'verified' || !isMixAction(action)) return
  const { appId } = identity
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

/** The first value of each query parameter: the one ZEGO's gateway reads. */
function firstValues(params: URLSearchParams): Record<string, string> {
  const query = Object.create(null) as Record<string, string>
  for (const [name, value] of params) if (!Object.hasOwn(query, name)) query[name] = value
  return query
}

function errorText(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error)
}

function parseJson(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}
