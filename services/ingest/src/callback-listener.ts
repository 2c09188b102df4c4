import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http'
import type { Clock } from '@mixguard/time'
import express from 'express'
import type { Logger } from 'pino'
import { accessLine } from './access-log.ts'
import type { Answer, RequestContext } from './answer.ts'
import { newContext, writeAnswer } from './answer.ts'
import { bodyErrorAnswer, checkMediaType } from './body.ts'
import { type CallbackDeps, handleCallback } from './callback-route.ts'
import type { IngestMetrics } from './metrics.ts'
import { readPlainBody } from './plain-body.ts'

export interface CallbackListenerDeps {
  callbackPath: string
  bodyLimitBytes: number
  clock: Clock
  logger: Logger
  metrics: Pick<IngestMetrics, 'request'>
  callback: CallbackDeps
  /** The route's processing slots (admission.ts): null once one is taken, else the refusal. */
  admit: (res: ServerResponse) => Answer | null
}

type BodyRequest = IncomingMessage & { body?: unknown }

/**
 * The callback route on bare `node:http`, in front of the Express app that serves everything else.
 * Callbacks are nearly all of the edge's traffic, and Express's per-request work (router walk,
 * request/response prototypes, middleware closures) cost more than the route's own work. The steps
 * are the Express route's, in its order, with the same parts: the media check, the body reader (the
 * usual body by plain-body.ts, every other by express.raw: same limit, inflation and errors), a slot
 * once the body is in, handleCallback, and `{ ok, reason?, detail?, requestId }` answers; the access
 * line and the requests metric as before.
 */
export function serveCallbacks(deps: CallbackListenerDeps, next: RequestListener): RequestListener {
  const { clock, logger, metrics } = deps
  const callbackPath = deps.callbackPath.toLowerCase()
  const readBody = express.raw({ type: () => true, limit: deps.bodyLimitBytes })
  const empty = Buffer.alloc(0)

  return (req, res) => {
    if (req.method !== 'POST' || !isPath(req.url, callbackPath)) return next(req, res)
    const ctx = newContext(req, logger, clock)
    // `on`, not `once`: a response closes once, and once's wrapper costs per request.
    res.on('close', () => {
      metrics.request('callback', ctx.event, ctx.outcome, (clock.now() - ctx.startedAt) / 1000)
      // Only answers that were sent, as with 'finish'; checked here so each request adds one listener.
      if (res.writableFinished && logger.isLevelEnabled('info'))
        logger.info(
          accessLine({ method: req.method, path: pathOf(req.url) }, res, ctx, clock.now()),
          'request completed',
        )
    })
    const media = checkMediaType(req.headers['content-type'])
    if (!media.ok) {
      return writeAnswer(res, ctx, {
        status: 415,
        reason: 'unsupported_media_type',
        detail: media.detail,
        outcome: 'unsupported_media_type',
      })
    }
    const onBody = (error: unknown, body: Buffer) => {
      if (error !== undefined) return answerBodyError(res, ctx, error, req.headers['content-encoding'])
      const refused = deps.admit(res)
      if (refused !== null) return writeAnswer(res, ctx, refused)
      handleCallback(body, media.encoding, deps.callback).then(
        (answer) => writeAnswer(res, ctx, answer),
        (failure: unknown) => internalError(res, ctx, failure),
      )
    }
    if (readPlainBody(req, deps.bodyLimitBytes, onBody)) return
    readBody(req, res as Parameters<typeof readBody>[1], (error?: unknown) => {
      const body = (req as BodyRequest).body
      onBody(error, Buffer.isBuffer(body) ? body : empty)
    })
  }
}

function answerBodyError(
  res: ServerResponse,
  ctx: RequestContext,
  error: unknown,
  contentEncoding: string | undefined,
): void {
  const answer = bodyErrorAnswer(error, contentEncoding)
  if (answer === null) internalError(res, ctx, error)
  else writeAnswer(res, ctx, answer)
}

function internalError(res: ServerResponse, ctx: RequestContext, error: unknown): void {
  ctx.log.error({ err: error }, 'unhandled error')
  if (!res.headersSent)
    writeAnswer(res, ctx, { status: 500, reason: 'internal_error', outcome: 'internal_error' })
}

/** The path of a request target, as Express reads it (an absolute-form target too). */
function pathOf(url = '/'): string {
  if (!url.startsWith('/')) return URL.parse(url)?.pathname ?? url
  const at = url.indexOf('?')
  return at === -1 ? url : url.slice(0, at)
}

/** Express's matching of a route path: case-insensitive, one trailing slash allowed, the query ignored. */
function isPath(url: string | undefined, lowerPath: string): boolean {
  const path = pathOf(url).toLowerCase()
  return path === lowerPath || path === `${lowerPath}/`
}
