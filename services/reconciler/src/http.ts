import express, { type Express, type RequestHandler } from 'express'
import type { Registry } from 'prom-client'
import { isLoopback } from './loopback.ts'

/**
 * /healthz (alive: 503 once the consumer stopped for good), /readyz (it owns its share of the group),
 * /metrics (Prometheus), /status and /status.json (the read-only status page and its live state:
 * loopback clients only unless `statusPublic`).
 */
export function createHttpApp(deps: {
  registry: Registry
  live?: () => { ok: boolean; reason: string }
  ready: () => { ready: boolean; reason: string }
  beforeScrape: () => void
  status?: { html(): Promise<string>; json(): unknown }
  statusPublic?: boolean
}): Express {
  const app = express()
  app.disable('x-powered-by')
  app.get('/healthz', (_req, res) => {
    const state = deps.live?.() ?? { ok: true, reason: 'running' }
    res.status(state.ok ? 200 : 503).json(state)
  })
  app.get('/readyz', (_req, res) => {
    const state = deps.ready()
    res.status(state.ready ? 200 : 503).json({ ok: state.ready, reason: state.reason })
  })
  app.get('/metrics', async (_req, res) => {
    deps.beforeScrape()
    res.type(deps.registry.contentType).send(await deps.registry.metrics())
  })
  const { status } = deps
  if (status) {
    const local: RequestHandler = (req, res, next) => {
      if (deps.statusPublic || isLoopback(req.socket.remoteAddress)) return next()
      res.status(403).json({
        ok: false,
        reason: 'the status page answers local clients only (RECONCILER_STATUS_PUBLIC=true opens it)',
      })
    }
    app.get('/status', local, async (_req, res) => {
      res
        .type('html')
        .set('cache-control', 'no-store')
        .send(await status.html())
    })
    app.get('/status.json', local, (_req, res) => {
      res.set('cache-control', 'no-store').json(status.json())
    })
  }
  return app
}
