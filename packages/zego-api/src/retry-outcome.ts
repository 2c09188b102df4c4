import { abortReason, type RetryOptions, retry } from '@mixguard/time'
import type { ZegoError } from './errors.ts'
import { aborted, type ZegoOutcome } from './outcome.ts'

export interface ZegoRetryOptions extends Omit<RetryOptions, 'retryable' | 'onRetry'> {
  /** Called (and awaited) before each backoff with the error that is being retried. */
  onRetry?: (error: ZegoError, attempt: number, delayMs: number) => void | Promise<void>
}

export interface Retried<T> {
  /** The first success, or the error the retries ended on (`ZEGO_ABORTED` when `signal` aborted). */
  outcome: ZegoOutcome<T>
  /** Attempts made, the first included. */
  attempts: number
}

/**
 * Retries a one-attempt ZEGO call with `retry()`: the error's own data decides (`retryable`,
 * `retryAfterMs`, `maxRetries` per code: an expired signature once, a gateway error twice), and each
 * attempt is a new call, so it is signed afresh and takes its own budget slot.
 */
export async function retryZegoCall<T>(
  call: (attempt: number) => Promise<ZegoOutcome<T>>,
  options: ZegoRetryOptions,
): Promise<Retried<T>> {
  const { signal, onRetry } = options
  let attempts = 0
  let last: ZegoError | undefined
  try {
    const outcome = await retry(
      async (attempt) => {
        attempts = attempt
        const answer = await call(attempt)
        if (signal?.aborted) throw abortReason(signal)
        if (answer.ok) return answer
        last = answer.error
        throw answer.error
      },
      {
        ...options,
        onRetry: (error: unknown, n: number, delayMs: number) => onRetry?.(error as ZegoError, n, delayMs),
      },
    )
    return { outcome, attempts }
  } catch (error) {
    if (error === last && last !== undefined) return { outcome: { ok: false, error: last }, attempts }
    if (signal?.aborted) return { outcome: aborted(last?.action ?? 'call', error), attempts }
    throw error
  }
}
