import { DEFAULT_BASE_URL, DEFAULT_TIMEOUT_MS } from '@mixguard/zego-api'
import { httpUrl, wholeNumber } from './env.ts'

/**
 * The ZEGO server API: the same variables and defaults in both services. One timeout for both (5 s,
 * the client's own default): a healthy ZEGO answers in well under a second, so 5 s means a hung
 * connection. The reconciler then retries its StopMix sooner (every second of a stuck stop is billed),
 * and ingest's passthrough answers 504 with a reason before the caller's own client (often 10 s) gives
 * up without one.
 */
export const zegoApiVariables = {
  ZEGO_API_BASE_URL: httpUrl.default(DEFAULT_BASE_URL),
  ZEGO_API_TIMEOUT_MS: wholeNumber(100, 120_000).default(DEFAULT_TIMEOUT_MS),
}
