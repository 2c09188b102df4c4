import type { IngestAnswerReason } from '@mixguard/contracts'
import type { Response } from 'express'
import type { Logger } from 'pino'

/** Per-request context the middleware sets and the routes fill in for the access log and metrics. */
export interface RequestContext {
  requestId: string
  log: Logger
  startedAt: number
  /** Callback event or API Action, for labels; only known values, so label cardinality stays bounded. */
  event: string
  outcome: string
  /** Set once known: the app of an authentic callback, and the id of the event (or dead letter) stored. */
  appId: number | null
  eventId: string | null
}

export function context(res: Response): RequestContext {
  return res.locals.ingest as RequestContext
}

/** Every answer ingest writes itself: `{ ok, reason?, detail?, requestId }`. */
export interface Answer {
  status: number
  /** A stable code (contracts' INGEST_ANSWER_REASONS); absent on a plain success. */
  reason?: IngestAnswerReason
  /** Words for a person; never holds a secret or a signature. */
  detail?: string
  /** For the access log and metrics: what happened (stored, spooled, duplicate, bad_signature, …). */
  outcome: string
  event?: string
  appId?: number
  eventId?: string
  headers?: Record<string, string>
}

export function send(res: Response, answer: Answer): void {
  const ctx = context(res)
  ctx.outcome = answer.outcome
  if (answer.event !== undefined) ctx.event = answer.event
  if (answer.appId !== undefined) ctx.appId = answer.appId
  if (answer.eventId !== undefined) ctx.eventId = answer.eventId
  if (answer.headers !== undefined) {
    for (const name of Object.keys(answer.headers)) res.setHeader(name, answer.headers[name] as string)
  }
  const body = JSON.stringify({
    ok: answer.status >= 200 && answer.status < 300,
    reason: answer.reason,
    detail: answer.detail,
    requestId: ctx.requestId,
  })
  // The headers and bytes Express's res.json would send, without its content negotiation and ETag
  // machinery on every callback. (A HEAD request gets no body: node:http drops it.)
  res.statusCode = answer.status
  res.setHeader('content-type', 'application/json; charset=utf-8')
  res.setHeader('content-length', Buffer.byteLength(body))
  res.end(body)
}
