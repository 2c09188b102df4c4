import express from 'express'
import type { IngestMetrics } from './metrics.ts'

/**
 * The admin surface, on its own listener (localhost by default): Prometheus metrics. Kept off the
 * public callback port, where anyone on the internet could read them.
 */
export function createAdminApp(metrics: Pick<IngestMetrics, 'registry'>): express.Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false)
  app.get('/metrics', async (_req, res) => {
    res.setHeader('content-type', metrics.registry.contentType)
    res.end(await metrics.registry.metrics())
  })
  app.use((_req, res) => {
    res.status(404).json({ ok: false, reason: 'not_found' })
  })
  return app
}
