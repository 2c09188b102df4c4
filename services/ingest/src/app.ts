import { randomUUID } from 'node:crypto'
import type { Clock } from '@mixguard/time'
import { operations } from '@mixguard/zego-api'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import type { Logger } from 'pino'
import { accessLine } from './access-log.ts'
import { context, type RequestContext, send } from './answer.ts'
import { forward, type PassthroughDeps } from './api-passthrough.ts'
import { checkMediaType, isTooDeepJson, TOO_DEEP_DETAIL } from './body.ts'
import { type CallbackDeps, handleCallback } from './callback-route.ts'
import type { IngestMetrics, Route } from './metrics.ts'
import type { Publisher } from './publisher.ts'

export interface AppDeps {
  callbackPath: string
  passthroughPath: string
  /** Per route, so a flood on one cannot starve the other. */
  limits: RouteLimits
  clock: Clock
  logger: Logger
  metrics: IngestMetrics
  publisher: Pick<Publisher, 'status'>
  callback: CallbackDeps
  passthrough: PassthroughDeps
  /** True once shutdown began: new work is refused, readiness fails. */
  shuttingDown: () => boolean
  /** True while draining after SIGTERM: readiness fails (the load balancer takes us out), work is still served. */
  draining?: () => boolean
  /** In-flight callback and passthrough requests, shared with shutdown so it can wait for them. */
  inFlight: { count: number; onIdle: () => void }
}

interface RouteLimits {
  callbackBodyBytes: number
  passthroughBodyBytes: number
  /** Requests processed at once (their bodies already read); past it, 503 with Retry-After. */
  callbackConcurrency: number
  passthroughConcurrency: number
}

const REQUEST_ID = /^[\w.:-]{1,100}$/

/**
 * The public HTTP surface: callbacks, the ZEGO-API passthrough, health and readiness. Never listens.
 * Metrics are on the admin listener (admin-app.ts), never here.
 */
export function createApp(deps: AppDeps): express.Express {
  const { clock, logger, metrics, inFlight } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  app.use((req, res, next) => {
    const given = req.headers['x-request-id']
    const requestId = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID()
    let log: Logger | undefined
    const ctx: RequestContext = {
      requestId,
      // Made on first use: most requests log only their access line, and a child costs per request.
      get log() {
        log ??= logger.child({ requestId })
        return log
      },
      startedAt: clock.now(),
      event: 'none',
      outcome: 'unanswered',
      appId: null,
      eventId: null,
    }
    res.locals.ingest = ctx
    res.setHeader('x-request-id', requestId)
    if (logger.isLevelEnabled('info')) {
      res.on('finish', () => {
        logger.info(accessLine(req, res, ctx, clock.now()), 'request completed')
      })
    }
    next()
  })

  /** Times and counts every request of a route, whatever answers it (a refused body included). */
  const track =
    (route: Route): RequestHandler =>
    (_req, res, next) => {
      const ctx = context(res)
      res.on('close', () => {
        metrics.request(route, ctx.event, ctx.outcome, (clock.now() - ctx.startedAt) / 1000)
      })
      next()
    }

  const busy: Record<Route, number> = { callback: 0, passthrough: 0 }
  const caps: Record<Route, number> = {
    callback: deps.limits.callbackConcurrency,
    passthrough: deps.limits.passthroughConcurrency,
  }
  /**
   * Takes a processing slot once the body is in: a client that is slow to send its body (or never
   * does) waits on the server's request timeout, never in a slot. Sheds load past the route's cap and
   * refuses work during shutdown.
   */
  const admit =
    (route: Route): RequestHandler =>
    (_req, res, next) => {
      if (deps.shuttingDown()) {
        res.setHeader('connection', 'close')
        return send(res, {
          status: 503,
          reason: 'shutting_down',
          outcome: 'shutting_down',
          headers: { 'retry-after': '1' },
        })
      }
      if (busy[route] >= caps[route]) {
        metrics.shed(route)
        return send(res, {
          status: 503,
          reason: 'overloaded',
          detail: `more than ${caps[route]} ${route} requests in flight`,
          outcome: 'overloaded',
          headers: { 'retry-after': '1' },
        })
      }
      busy[route] += 1
      inFlight.count += 1
      res.on('close', () => {
        busy[route] -= 1
        inFlight.count -= 1
        if (inFlight.count === 0) inFlight.onIdle()
      })
      next()
    }

  // Bodies are read (and inflated) before any slot is taken, each route within its own limit.
  const readBody = (limit: number) => express.raw({ type: () => true, limit })

  app.post(
    deps.callbackPath,
    track('callback'),
    (req, res, next) => {
      const media = checkMediaType(req.get('content-type'))
      if (!media.ok)
        return send(res, {
          status: 415,
          reason: 'unsupported_media_type',
          detail: media.detail,
          outcome: 'unsupported_media_type',
        })
      res.locals.encoding = media.encoding
      next()
    },
    readBody(deps.limits.callbackBodyBytes),
    admit('callback'),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      send(res, await handleCallback(body, res.locals.encoding, deps.callback))
    },
  )

  app.all(
    deps.passthroughPath,
    track('passthrough'),
    (req, res, next) => {
      if (req.method === 'GET' || req.method === 'POST') return next()
      return send(res, {
        status: 405,
        reason: 'method_not_allowed',
        detail: 'ZEGO takes GET and POST',
        outcome: 'method_not_allowed',
      })
    },
    // Refused with 413 here, before anything is forwarded or recorded.
    readBody(deps.limits.passthroughBodyBytes),
    (req, res, next) => {
      if (!Buffer.isBuffer(req.body) || req.body.length === 0 || !isTooDeepJson(req.body)) return next()
      return send(res, {
        status: 400,
        reason: 'body_too_deep',
        detail: TOO_DEEP_DETAIL,
        outcome: 'body_too_deep',
      })
    },
    admit('passthrough'),
    async (req, res) => {
      const ctx = context(res)
      const at = req.originalUrl.indexOf('?')
      const result = await forward(
        {
          method: req.method,
          rawQuery: at === -1 ? '' : req.originalUrl.slice(at + 1),
          headers: req.headers,
          body: Buffer.isBuffer(req.body) ? req.body : null,
          requestId: ctx.requestId,
        },
        deps.passthrough,
      )
      ctx.event = Object.hasOwn(operations, result.action) ? result.action : 'other'
      if (!result.ok) {
        ctx.log.warn({ action: ctx.event, error: result.error }, 'ZEGO API unreachable')
        return send(res, {
          status: 502,
          reason: 'upstream_unreachable',
          detail: result.error,
          outcome: 'upstream_unreachable',
        })
      }
      ctx.outcome = result.outcome
      if (result.refusal !== undefined)
        ctx.log.warn({ action: ctx.event, refusal: result.refusal }, 'passthrough call refused')
      res.status(result.status)
      for (const [name, value] of result.headers) res.setHeader(name, value)
      res.end(result.body)
    },
  )

  app.get('/healthz', (_req, res) => send(res, { status: 200, outcome: 'ok' }))

  app.get('/readyz', (_req, res) => {
    const status = deps.publisher.status()
    const room = status.spool.bytes < status.spool.maxBytes
    if (deps.shuttingDown()) return send(res, { status: 503, reason: 'shutting_down', outcome: 'not_ready' })
    if (deps.draining?.()) return send(res, { status: 503, reason: 'draining', outcome: 'not_ready' })
    if (!status.kafkaUp && !room) {
      return send(res, {
        status: 503,
        reason: 'no_capacity',
        detail: 'Kafka is unreachable and the spool is full',
        outcome: 'not_ready',
      })
    }
    // A shared Redis down fails every replica alike: taking them all out of rotation would only cut
    // the customer's passthrough too. Callbacks are answered 503 meanwhile; readiness says why.
    const degraded = !status.kafkaUp
      ? 'spooling'
      : !deps.callback.nonces.status().up
        ? 'nonce_store_down'
        : null
    return send(res, { status: 200, outcome: 'ready', ...(degraded === null ? {} : { reason: degraded }) })
  })

  app.use((_req, res) => send(res, { status: 404, reason: 'not_found', outcome: 'not_found' }))

  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const e = error as { type?: string; status?: number; message?: string; limit?: number }
    if (res.headersSent) return
    switch (e.type) {
      case 'entity.too.large':
        return send(res, {
          status: 413,
          reason: 'body_too_large',
          detail: `the body limit is ${e.limit} bytes`,
          outcome: 'body_too_large',
        })
      case 'encoding.unsupported':
      case 'charset.unsupported':
        return send(res, {
          status: 415,
          reason: 'unsupported_media_type',
          detail: e.message ?? '',
          outcome: 'unsupported_media_type',
        })
      case 'request.aborted':
      case 'request.size.invalid':
        return send(res, {
          status: 400,
          reason: 'malformed_body',
          detail: e.message ?? '',
          outcome: 'malformed_body',
        })
      default:
        break
    }
    const encoding = req.get('content-encoding')?.trim().toLowerCase()
    // The body reader marks what the client got wrong 4xx: here, a body that does not decompress.
    if (e.status !== undefined && e.status >= 400 && e.status < 500 && encoding !== undefined) {
      return send(res, {
        status: 400,
        reason: 'bad_content_encoding',
        detail: `the ${encoding} body could not be decompressed: ${e.message ?? ''}`,
        outcome: 'bad_content_encoding',
      })
    }
    context(res).log.error({ err: error }, 'unhandled error')
    return send(res, { status: 500, reason: 'internal_error', outcome: 'internal_error' })
  }
  app.use(onError)
  return app
}
