import type { Backoff } from '@mixguard/time'

/**
 * The backoff of work the reconciler retries until it lands or the partition moves (an input, a save,
 * an assignment, a batch, an outcome record): doubling from 200 ms to 30 s. No jitter: these retries
 * are against our own broker, one loop per partition, not a crowd of clients.
 */
export const RETRY_BACKOFF: Backoff = { baseDelayMs: 200, maxDelayMs: 30_000, jitter: 'none' }
