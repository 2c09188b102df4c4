import type { RequestListener, ServerResponse } from 'node:http'
import type { Clock } from '@mixguard/time'
import { operations } from '@mixguard/zego-api'
import express, { type ErrorRequestHandler, type RequestHandler } from 'express'
import type { Logger } from 'pino'
import { accessLine } from './access-log.ts'
import { createAdmission } from './admission.ts'
import { type Answer, context, send, startContext } from './answer.ts'
import { forward, type PassthroughDeps } from './api-passthrough.ts'
import { bodyErrorAnswer, isTooDeepJson, TOO_DEEP_DETAIL } from './body.ts'
import { serveCallbacks } from './callback-listener.ts'
import type { CallbackDeps } from './callback-route.ts'
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

/**
 * The public HTTP surface: callbacks (callback-listener.ts, on bare node:http), then the ZEGO-API
 * passthrough, health and readiness (Express). Never listens. Metrics are on the admin listener
 * (admin-app.ts), never here.
 */
export function createApp(deps: AppDeps): RequestListener {
  const shared = { metrics: deps.metrics, shuttingDown: deps.shuttingDown, inFlight: deps.inFlight }
  return serveCallbacks(
    {
      callbackPath: deps.callbackPath,
      bodyLimitBytes: deps.limits.callbackBodyBytes,
      clock: deps.clock,
      logger: deps.logger,
      metrics: deps.metrics,
      callback: deps.callback,
      admit: createAdmission('callback', deps.limits.callbackConcurrency, shared),
    },
    createExpressApp(deps, createAdmission('passthrough', deps.limits.passthroughConcurrency, shared)),
  )
}

/** Everything but callbacks: the passthrough, health, readiness, and 404s. */
function createExpressApp(
  deps: AppDeps,
  admitPassthrough: (res: ServerResponse) => Answer | null,
): express.Express {
  const { clock, logger, metrics } = deps
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)

  app.use((req, res, next) => {
    const ctx = startContext(req, res, logger, clock)
    res.locals.ingest = ctx
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

  // Bodies are read (and inflated) before any slot is taken, within the route's limit.
  const readBody = (limit: number) => express.raw({ type: () => true, limit })

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
    (_req, res, next) => {
      const refused = admitPassthrough(res)
      if (refused === null) return next()
      return send(res, refused)
    },
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
    if (res.headersSent) return
    const answer = bodyErrorAnswer(error, req.get('content-encoding'))
    if (answer !== null) return send(res, answer)
    context(res).log.error({ err: error }, 'unhandled error')
    return send(res, { status: 500, reason: 'internal_error', outcome: 'internal_error' })
  }
  app.use(onError)
  return app
}
