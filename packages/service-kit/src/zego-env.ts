import { DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS } from '@mixguard/zego-api'
import { httpUrl, wholeNumber } from './env.ts'

/**
 * The ZEGO server API: the same variables and defaults in both services. One timeout for both (10 s,
 * the client's own default; it was 10 s in ingest and 5 s in the reconciler). A false timeout costs
 * more than a slow answer: ingest's passthrough would answer 504 to a StartMix that ZEGO carried out
 * (the caller retries a task that runs), while the reconciler's StopMix is only retried a few seconds
 * later on a hung connection, well inside its 10–90 s graces.
 */
export const zegoApiVariables = {
  ZEGO_API_BASE_URL: httpUrl.default(DEFAULT_BASE_URL),
  ZEGO_API_TIMEOUT_MS: wholeNumber(100, 120_000).default(DEFAULT_TIMEOUT_MS),
}
