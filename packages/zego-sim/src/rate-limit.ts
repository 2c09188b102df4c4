/**
 * A sliding-window limiter: at most `limit` accepted calls per `windowMs` for one key. Rejected calls
 * do not count (they did no work). Times are real wall-clock ms: ZEGO's QPS limits are about real
 * request rates, so they do not speed up with the simulation scale.
 */
export interface SlidingWindowLimiter {
  /** Records the call and returns true if it fits in the window; returns false (and records nothing) if not. */
  tryAcquire(key: string, limit: number, windowMs: number, now: number): boolean
}

export function createSlidingWindowLimiter(): SlidingWindowLimiter {
  const windows = new Map<string, number[]>()
  return {
    tryAcquire(key, limit, windowMs, now) {
      let times = windows.get(key)
      if (times === undefined) {
        times = []
        windows.set(key, times)
      }
      let drop = 0
      while (drop < times.length && (times[drop] as number) <= now - windowMs) drop++
      if (drop > 0) times.splice(0, drop)
      if (times.length >= limit) return false
      times.push(now)
      return true
    },
  }
}
