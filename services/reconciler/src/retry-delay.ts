/** How long to wait before retrying work that failed `attempt` times: doubling from `minMs`, capped at `maxMs`. */
export interface RetryDelays {
  minMs: number
  maxMs: number
}

export const DEFAULT_RETRY_DELAYS: RetryDelays = { minMs: 200, maxMs: 30_000 }

export function retryDelayMs(attempt: number, delays: RetryDelays = DEFAULT_RETRY_DELAYS): number {
  return Math.min(delays.maxMs, delays.minMs * 2 ** Math.min(30, Math.max(0, attempt - 1)))
}
