import type { ServerResponse } from 'node:http'
import type { Answer } from './answer.ts'
import type { IngestMetrics, Route } from './metrics.ts'

export interface AdmissionDeps {
  metrics: Pick<IngestMetrics, 'shed'>
  /** True once shutdown began: new work is refused. */
  shuttingDown: () => boolean
  /** In-flight requests of every route, shared with shutdown so it can wait for them. */
  inFlight: { count: number; onIdle: () => void }
}

/**
 * A route's processing slots. Taken once the body is in: a client slow to send its body (or that never
 * does) waits on the server's request timeout, never in a slot. Returns the answer that refuses the
 * request (shutting down, or past the route's cap), or null when a slot was taken; the slot is given
 * back when the response closes.
 */
export function createAdmission(
  route: Route,
  cap: number,
  deps: AdmissionDeps,
): (res: ServerResponse) => Answer | null {
  let busy = 0
  const release = () => {
    busy -= 1
    deps.inFlight.count -= 1
    if (deps.inFlight.count === 0) deps.inFlight.onIdle()
  }
  return (res) => {
    if (deps.shuttingDown()) {
      res.setHeader('connection', 'close')
      return { status: 503, reason: 'shutting_down', outcome: 'shutting_down', headers: RETRY }
    }
    if (busy >= cap) {
      deps.metrics.shed(route)
      return {
        status: 503,
        reason: 'overloaded',
        detail: `more than ${cap} ${route} requests in flight`,
        outcome: 'overloaded',
        headers: RETRY,
      }
    }
    busy += 1
    deps.inFlight.count += 1
    res.once('close', release)
    return null
  }
}

const RETRY = { 'retry-after': '1' }
