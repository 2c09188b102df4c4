import { abortReason, sleep, type Timers } from './clock.ts'

/** Exponential backoff: the cap doubles per retry from `baseDelayMs` up to `maxDelayMs`. */
export interface Backoff {
  baseDelayMs: number
  maxDelayMs: number
  /**
   * `full`: a uniform draw in [0, cap), so many clients that failed together do not retry together
   * (needs `random`). `none`: exactly the cap.
   */
  jitter: 'full' | 'none'
}

/** The wait before retry number `retry` (1 for the first retry); `random` returns [0, 1). Pure. */
export function backoffDelay(backoff: Backoff, retry: number, random?: () => number): number {
  const cap = Math.min(backoff.maxDelayMs, backoff.baseDelayMs * 2 ** Math.min(52, Math.max(0, retry - 1)))
  if (backoff.jitter === 'none') return cap
  if (random === undefined) throw new TypeError("jitter 'full' needs an injected random()")
  return Math.floor(random() * cap)
}

/** What `retry` reads from a thrown error (the convention every Mixguard error follows). */
interface RetryHints {
  code?: unknown
  retryable?: unknown
  /** The least wait the failure asks for (a rate limit's window). */
  retryAfterMs?: unknown
  /** At most this many retries of errors with this `code` are worth making (an expired signature: one). */
  maxRetries?: unknown
}

export interface RetryOptions extends Backoff {
  /** Attempts in all, the first included; `Infinity` retries until `retryable` says no or `signal` aborts. */
  attempts: number
  timers: Timers
  /** Randomness for the jitter, [0, 1): injected, so tests know the schedule. Needed for `full`. */
  random?: () => number
  /** The shortest wait before any retry, whatever the backoff draws (a per-resource rate limit). */
  minDelayMs?: number
  /** Aborts a running backoff: `retry` then rejects with the signal's reason. */
  signal?: AbortSignal
  /** Whether `error` is worth another attempt. Default: the error's own `retryable === true`. */
  retryable?: (error: unknown, attempt: number) => boolean
  /** Called before each backoff (and awaited): for an outcome record, a metric, a log line. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void | Promise<void>
}

function validateRetryOptions(options: Pick<RetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs'>): void {
  const { attempts, baseDelayMs, maxDelayMs } = options
  if (!(attempts === Number.POSITIVE_INFINITY || (Number.isInteger(attempts) && attempts >= 1)))
    throw new RangeError(`retry attempts must be an integer >= 1 or Infinity, got ${attempts}`)
  if (!(baseDelayMs >= 0) || !(maxDelayMs >= 0))
    throw new RangeError('retry baseDelayMs and maxDelayMs must be >= 0')
}

const ownRetryable = (error: unknown): boolean => (error as RetryHints | null)?.retryable === true

/**
 * Runs `attempt` until it resolves, or rejects with the last error once that error is not retryable,
 * its code's `maxRetries` are spent or the attempts are. Between attempts it waits the backoff, never
 * less than the error's `retryAfterMs` nor `minDelayMs`.
 */
export async function retry<T>(attempt: (n: number) => Promise<T>, options: RetryOptions): Promise<T> {
  validateRetryOptions(options)
  const retryable = options.retryable ?? ownRetryable
  const retriesOfCode = new Map<unknown, number>()
  for (let n = 1; ; n += 1) {
    if (options.signal?.aborted) throw abortReason(options.signal)
    try {
      return await attempt(n)
    } catch (error) {
      const hints = (error ?? {}) as RetryHints
      const maxRetries = typeof hints.maxRetries === 'number' ? hints.maxRetries : Number.POSITIVE_INFINITY
      const retriesOfThisCode = retriesOfCode.get(hints.code) ?? 0
      if (n >= options.attempts || !retryable(error, n) || retriesOfThisCode >= maxRetries) throw error
      retriesOfCode.set(hints.code, retriesOfThisCode + 1)
      const retryAfterMs = typeof hints.retryAfterMs === 'number' ? hints.retryAfterMs : 0
      const delayMs = Math.max(
        backoffDelay(options, n, options.random),
        retryAfterMs,
        options.minDelayMs ?? 0,
      )
      await options.onRetry?.(error, n, delayMs)
      await sleep(delayMs, options.timers, options.signal)
    }
  }
}
