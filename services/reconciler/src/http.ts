import express, { type Express } from 'express'
import type { Registry } from 'prom-client'

/** /healthz (alive: 503 once the consumer stopped for good), /readyz (it owns its share of the group), /metrics. */
export function createHttpApp(deps: {
  registry: Registry
  live?: () => { ok: boolean; reason: string }
  ready: () => { ready: boolean; reason: string }
  beforeScrape: () => void
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
  return app
}
