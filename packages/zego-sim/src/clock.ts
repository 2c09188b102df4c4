import { createManualTime, type ManualTimer, sleep, type Timers } from '@mixguard/time'

/**
 * Simulated time. Every lifetime rule (idle auto-end, reconnect window, callback retry schedule) runs
 * on a `SimClock`, so one scale factor speeds them all up together. Wire-level times that ZEGO's own
 * clock owns (request-signature freshness, the callback `timestamp`, rate-limit windows) stay on the
 * real wall clock; see README.
 */
export interface SimClock {
  /** Simulated epoch milliseconds. */
  now(): number
  /** Simulated milliseconds per real millisecond; `0` for a manual clock (time moves only when told). */
  readonly scale: number
  /** Calls `fn` once simulated time has moved `delayMs` forward. */
  setTimer(delayMs: number, fn: () => void): SimTimer
  clearTimer(timer: SimTimer): void
  /** Cancels every pending timer; the clock stays readable. */
  dispose(): void
}

export interface SimTimer {
  /** Simulated time at which the timer is due. */
  readonly dueAt: number
}

export interface WallClock {
  now(): number
}

/** Real time with sub-millisecond resolution (receive times of a 100/s burst need better than Date.now()). */
export const systemWallClock: WallClock = { now: () => performance.timeOrigin + performance.now() }

export interface ManualClock extends SimClock {
  /** Moves time forward by `ms`, firing due timers in order, each at its own due time. */
  advance(ms: number): void
  advanceTo(atMs: number): void
  /** Due time of the earliest pending timer, if any. */
  nextDueAt(): number | undefined
  pendingTimers(): number
}

/**
 * A clock that moves only when a test calls `advance`: no sleeping, exact timestamps. The simulated
 * world's view of the one manual clock every Mixguard test uses (`@mixguard/time`).
 */
export function createManualClock(startMs = Date.UTC(2026, 0, 1)): ManualClock {
  const time = createManualTime(startMs)
  return {
    scale: 0,
    now: time.clock.now,
    setTimer: (delayMs, fn) => time.timers.setTimeout(fn, delayMs) as ManualTimer,
    clearTimer: (timer) => time.timers.clearTimeout(timer),
    dispose: time.clearAll,
    advance: time.advanceSync,
    advanceTo: time.advanceTo,
    nextDueAt: time.nextDueAt,
    pendingTimers: time.pendingTimers,
  }
}

/** A simulated clock's timers as the `Timers` Mixguard's services take (a pipeline on simulated time). */
export function simTimers(clock: SimClock): Timers {
  return {
    setTimeout: (callback, ms) => clock.setTimer(ms, callback),
    clearTimeout: (handle) => clock.clearTimer(handle as SimTimer),
  }
}

export interface ScaledClockOptions {
  /** Simulated ms per real ms (200 → a 90 s rule takes 450 ms). */
  scale: number
  /** Simulated time at start; default: the wall clock now, so scale 1 reads like real time. */
  startMs?: number
  /** Monotonic real-time source in ms (injected for tests). */
  monotonic?: () => number
}

interface ScaledTimer extends SimTimer {
  handle: NodeJS.Timeout | undefined
}

/** Simulated time running `scale` times faster than real time, with real `setTimeout` timers. */
export function createScaledClock(options: ScaledClockOptions): SimClock {
  const { scale } = options
  if (!(scale > 0) || !Number.isFinite(scale))
    throw new RangeError(`scale must be a positive number, got ${scale}`)
  const monotonic = options.monotonic ?? (() => performance.now())
  const realStart = monotonic()
  const simStart = options.startMs ?? Date.now()
  const timers = new Set<ScaledTimer>()
  // Whole milliseconds: simulated times end up in callbacks (`create_time_ms`) as integers.
  const now = (): number => Math.floor(simStart + (monotonic() - realStart) * scale)

  const arm = (timer: ScaledTimer, fn: () => void): void => {
    const realDelay = Math.max(0, (timer.dueAt - now()) / scale)
    timer.handle = setTimeout(() => {
      // Real timers may fire a hair early after rounding: re-arm until simulated time has really arrived.
      if (now() < timer.dueAt) return arm(timer, fn)
      timers.delete(timer)
      fn()
    }, Math.ceil(realDelay))
  }

  return {
    scale,
    now,
    setTimer(delayMs, fn) {
      const timer: ScaledTimer = { dueAt: now() + Math.max(0, delayMs), handle: undefined }
      timers.add(timer)
      arm(timer, fn)
      return timer
    },
    clearTimer(timer) {
      const t = timer as ScaledTimer
      if (t.handle !== undefined) clearTimeout(t.handle)
      timers.delete(t)
    },
    dispose() {
      for (const t of timers) if (t.handle !== undefined) clearTimeout(t.handle)
      timers.clear()
    },
  }
}

/** Resolves once simulated time has moved `ms` forward (or at once for `ms <= 0`). */
export function sleepSim(clock: SimClock, ms: number, signal?: AbortSignal): Promise<void> {
  return ms <= 0 ? Promise.resolve() : sleep(ms, simTimers(clock), signal)
}
