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
}

export function context(res: Response): RequestContext {
  return res.locals.ingest as RequestContext
}

/** Every answer ingest writes itself: `{ ok, reason?, detail?, requestId }`. */
export interface Answer {
  status: number
  /** A stable code from the route's list; absent on a plain success. */
  reason?: string
  /** Words for a person; never holds a secret or a signature. */
  detail?: string
  /** For the access log and metrics: what happened (stored, spooled, duplicate, bad_signature, …). */
  outcome: string
  event?: string
  headers?: Record<string, string>
}

export function send(res: Response, answer: Answer): void {
  const ctx = context(res)
  ctx.outcome = answer.outcome
  if (answer.event !== undefined) ctx.event = answer.event
  for (const [name, value] of Object.entries(answer.headers ?? {})) res.setHeader(name, value)
  const ok = answer.status >= 200 && answer.status < 300
  res.status(answer.status).json({
    ok,
    ...(answer.reason === undefined ? {} : { reason: answer.reason }),
    ...(answer.detail === undefined ? {} : { detail: answer.detail }),
    requestId: ctx.requestId,
  })
}
