export { abortReason, type Clock, sleep, systemClock, systemTimers, type Timers } from './clock.ts'
export { createManualTime, type ManualTime, type ManualTimer } from './manual-time.ts'
export { type Backoff, backoffDelay, type RetryOptions, retry } from './retry.ts'
export { loopTurn, runInSlices } from './slices.ts'
