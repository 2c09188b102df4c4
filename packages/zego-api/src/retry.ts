import type { ZegoError, ZegoErrorCode } from './errors.ts'

export interface RetryOptions {
  /** Attempts in all, the first included. Default 3. */
  attempts?: number
  /** Cap of the first backoff; doubles per retry. Default 200 ms. */
  baseDelayMs?: number
  /** Largest backoff cap. Default 5000 ms. A `retryAfterMs` from the error may still ask for longer. */
  maxDelayMs?: number
}

export interface RetryPolicy {
  attempts: number
  baseDelayMs: number
  maxDelayMs: number
}

/** `false` means one attempt: the caller gets the typed outcome and decides. */
export function retryPolicy(options: false | RetryOptions | undefined): RetryPolicy {
  if (options === false || options === undefined) return { attempts: 1, baseDelayMs: 0, maxDelayMs: 0 }
  const policy = {
    attempts: options.attempts ?? 3,
    baseDelayMs: options.baseDelayMs ?? 200,
    maxDelayMs: options.maxDelayMs ?? 5000,
  }
  if (!Number.isInteger(policy.attempts) || policy.attempts < 1) {
    throw new RangeError(`retry.attempts must be an integer >= 1, got ${policy.attempts}`)
  }
  if (!(policy.baseDelayMs >= 0) || !(policy.maxDelayMs >= 0)) {
    throw new RangeError('retry.baseDelayMs and retry.maxDelayMs must be >= 0')
  }
  return policy
}

/**
 * Whether to try again after `attempt` attempts ended with `error`. `retriesOfCode` counts the retries
 * already made for errors with the same code, so per-code limits (signature expired: once) hold.
 */
export function shouldRetry(
  policy: RetryPolicy,
  attempt: number,
  error: ZegoError,
  retriesOfCode: ReadonlyMap<ZegoErrorCode, number>,
): boolean {
  if (!error.retryable || attempt >= policy.attempts) return false
  return error.maxRetries === undefined || (retriesOfCode.get(error.code) ?? 0) < error.maxRetries
}

/**
 * Full-jitter exponential backoff (a uniform draw in [0, min(max, base·2^(retry-1)))), never shorter
 * than what the error asks for. `retry` is 1 for the first retry; `random` returns [0, 1).
 */
export function backoffDelay(
  policy: RetryPolicy,
  retry: number,
  error: ZegoError,
  random: () => number,
): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (retry - 1))
  return Math.max(Math.floor(random() * cap), error.retryAfterMs ?? 0)
}
