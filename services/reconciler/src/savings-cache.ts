import type { SavingsReport } from '@mixguard/ops'

/**
 * The status page's savings, read from the topics at most once per `maxAgeMs`: a page view waits for a
 * stale one to be refreshed (reads share one refresh), and a failed read keeps the last good report.
 */
export function createSavingsCache(options: {
  load: () => Promise<SavingsReport>
  now: () => number
  maxAgeMs: number
}): () => Promise<{ report: SavingsReport | null; error: string | null; at: number | null }> {
  let report: SavingsReport | null = null
  let at: number | null = null
  let error: string | null = null
  let refreshing: Promise<void> | null = null
  return async () => {
    if (at === null || options.now() - at > options.maxAgeMs) {
      refreshing ??= options
        .load()
        .then((fresh) => {
          report = fresh
          error = null
        })
        .catch((failure: unknown) => {
          error = (failure as Error).message
        })
        .finally(() => {
          at = options.now()
          refreshing = null
        })
      await refreshing
    }
    return { report, error, at }
  }
}
