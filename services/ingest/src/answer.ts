import { randomUUID } from 'node:crypto'
import type { IncomingMessage, ServerResponse } from 'node:http'
import type { IngestAnswerReason } from '@mixguard/contracts'
import type { Clock } from '@mixguard/time'
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

const REQUEST_ID = /^[\w.:-]{1,100}$/

/** A request's context: its `x-request-id` (the caller's when well-formed, else a new one), also set on the answer. */
export function startContext(
  req: IncomingMessage,
  res: ServerResponse,
  logger: Logger,
  clock: Clock,
): RequestContext {
  const ctx = newContext(req, logger, clock)
  res.setHeader('x-request-id', ctx.requestId)
  return ctx
}

/**
 * startContext without setting the header now: for a route whose every answer goes through
 * writeAnswer, which sends `x-request-id` with the answer's head.
 */
export function newContext(req: IncomingMessage, logger: Logger, clock: Clock): RequestContext {
  const given = req.headers['x-request-id']
  const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
  return new Context(requestId, logger, clock.now())
}

/** A class, not a literal with a getter: V8 keeps one shape for it, and each request makes one. */
class Context implements RequestContext {
  event = 'none'
  outcome = 'unanswered'
  appId: number | null = null
  eventId: string | null = null
  #log: Logger | undefined
  readonly requestId: string
  readonly startedAt: number
  readonly #logger: Logger

  constructor(requestId: string, logger: Logger, startedAt: number) {
    this.requestId = requestId
    this.startedAt = startedAt
    this.#logger = logger
  }

  /** Made on first use: most requests log only their access line, and a child costs per request. */
  get log(): Logger {
    this.#log ??= this.#logger.child({ requestId: this.requestId })
    return this.#log
  }
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
  writeAnswer(res, context(res), answer)
}

export function writeAnswer(res: ServerResponse, ctx: RequestContext, answer: Answer): void {
  ctx.outcome = answer.outcome
  if (answer.event !== undefined) ctx.event = answer.event
  if (answer.appId !== undefined) ctx.appId = answer.appId
  if (answer.eventId !== undefined) ctx.eventId = answer.eventId
  const body = JSON.stringify({
    ok: answer.status >= 200 && answer.status < 300,
    reason: answer.reason,
    detail: answer.detail,
    requestId: ctx.requestId,
  })
  // The headers and bytes Express's res.json would send, without its content negotiation and ETag
  // machinery on every callback. One head given as a list: node:http writes it without a header map
  // per request (a header set before, as `connection: close`, is kept; one named here is replaced).
  // (A HEAD request gets no body: node:http drops it.)
  const head = [
    'x-request-id',
    ctx.requestId,
    'content-type',
    JSON_TYPE,
    'content-length',
    String(Buffer.byteLength(body)),
  ]
  if (answer.headers !== undefined) {
    for (const name of Object.keys(answer.headers)) head.push(name, answer.headers[name] as string)
  }
  res.writeHead(answer.status, head)
  res.end(body)
}

const JSON_TYPE = 'application/json; charset=utf-8'
