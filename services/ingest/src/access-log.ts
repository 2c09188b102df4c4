import type { ServerResponse } from 'node:http'
import type { RequestContext } from './answer.ts'

/**
 * The one access line per request, in the field names log pipelines expect from pino-http (`req.id`,
 * `req.method`, `req.url`, `res.statusCode`, `responseTime` in ms, message "request completed"), plus
 * what joins it to the rest of the system: the AppID and the id of the event stored, which the
 * reconciler's decision lines list in `eventIds`. `req.url` is the path only: the passthrough's query
 * holds a Signature.
 */
export function accessLine(
  req: { method: string | undefined; path: string },
  res: ServerResponse,
  ctx: RequestContext,
  now: number,
): Record<string, unknown> {
  return {
    req: { id: ctx.requestId, method: req.method, url: req.path },
    res: { statusCode: res.statusCode },
    responseTime: now - ctx.startedAt,
    appId: ctx.appId,
    eventId: ctx.eventId,
    event: ctx.event,
    outcome: ctx.outcome,
  }
}
