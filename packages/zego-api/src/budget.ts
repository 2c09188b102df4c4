import { abortReason, type Clock, systemTimers, type Timers } from '@mixguard/time'

/**
 * Priority lanes, highest first. Mixguard maps supersession → urgent, orphans → normal, checks →
 * background, the room sweep → idle (it never takes a slot another call is waiting for).
 */
export const lanes = ['urgent', 'normal', 'background', 'idle'] as const
export type Lane = (typeof lanes)[number]

export interface CallBudgetOptions {
  /** Calls per second allowed for one AppId. Default 80: headroom under ZEGO's 100/s for the customer's own calls. */
  ratePerSecond?: number
  /** Length of the sliding window. The window holds `ratePerSecond * windowMs / 1000` calls (a whole number). */
  windowMs?: number
  /**
   * Extra spacing added to the window. Our calls reach ZEGO with a few ms of jitter, so two calls exactly
   * `windowMs` apart here may land inside one ZEGO window; the guard keeps ZEGO from ever counting limit + 1.
   */
  guardMs?: number
  /** Monotonic by default: a wall clock stepping back (NTP) must not let a burst through. */
  clock?: Clock
  timers?: Timers
}

/** Ends a call's hold on its slot; call it once the answer (or the failure) is back. */
export type Release = () => void

export interface CallBudget {
  /**
   * Resolves when a call for `appId` may go now, with the function that ends the call's hold on its
   * slot; rejects with the signal's reason if it aborts first. A slot counts against the window from
   * its grant until `windowMs + guardMs` after its release.
   */
  acquire(appId: number, lane?: Lane, signal?: AbortSignal): Promise<Release>
  /** Calls waiting for `appId` (all lanes). */
  waiting(appId: number): number
  /** Calls allowed in any window of `windowMs + guardMs`. */
  readonly limit: number
}

interface Waiter {
  resolve: (release: Release) => void
  reject: (reason: unknown) => void
  signal: AbortSignal | undefined
  onAbort: (() => void) | undefined
  done: boolean
}

/** A FIFO with a moving head, so that a long queue drains in linear time. */
interface Fifo {
  items: Waiter[]
  head: number
}

/** A granted call: `releasedAt` stays +Infinity while the call is out. */
interface Slot {
  releasedAt: number
}

interface AppState {
  /**
   * The slots that still count: calls out, or released less than a span ago. Counting from the release
   * and not from the grant is what makes the budget hold at ZEGO's end: a call reaches ZEGO after we
   * let it go (connection set-up, queues) but never after its answer came back.
   */
  slots: Slot[]
  queues: Record<Lane, Fifo>
  live: number
  timer: unknown
  timerAt: number | undefined
}

const monotonicClock: Clock = { now: () => performance.now() }

/**
 * A per-AppId sliding-window call budget with priority lanes. A call may go at `t` only if fewer than
 * `limit` calls are out or were released within `(t - windowMs - guardMs, t]`; waiting calls go highest
 * lane first, FIFO within a lane. Counted from each call's release, no `windowMs` window at ZEGO's end
 * can see more than `limit` arrivals, whatever the latency between us.
 */
export function createCallBudget(options: CallBudgetOptions = {}): CallBudget {
  const ratePerSecond = options.ratePerSecond ?? 80
  const windowMs = options.windowMs ?? 1000
  const guardMs = options.guardMs ?? 20
  const clock = options.clock ?? monotonicClock
  const timers = options.timers ?? systemTimers
  const limit = windowLimit(ratePerSecond, windowMs)
  if (!(guardMs >= 0)) throw new RangeError(`guardMs must be >= 0, got ${guardMs}`)
  const span = windowMs + guardMs
  const apps = new Map<number, AppState>()
  let lastSweep = clock.now()

  const expire = (state: AppState, now: number): void => {
    if (state.slots.some((slot) => slot.releasedAt + span <= now)) {
      state.slots = state.slots.filter((slot) => slot.releasedAt + span > now)
    }
  }

  /** When the next slot frees: now-ish if one is free, +Infinity while every slot is out (a release drains). */
  const nextFreeAt = (state: AppState, now: number): number => {
    expire(state, now)
    if (state.slots.length < limit) return Number.NEGATIVE_INFINITY
    return Math.min(...state.slots.map((slot) => slot.releasedAt + span))
  }

  const grant = (state: AppState): Release => {
    const slot: Slot = { releasedAt: Number.POSITIVE_INFINITY }
    state.slots.push(slot)
    let released = false
    return () => {
      if (released) return
      released = true
      slot.releasedAt = clock.now()
      drain(state)
    }
  }

  const takeNext = (state: AppState): Waiter | undefined => {
    for (const lane of lanes) {
      const fifo = state.queues[lane]
      while (fifo.head < fifo.items.length) {
        const waiter = fifo.items[fifo.head] as Waiter
        fifo.head += 1
        if (fifo.head === fifo.items.length) {
          fifo.items = []
          fifo.head = 0
        }
        if (!waiter.done) return waiter
      }
    }
    return undefined
  }

  const clearTimer = (state: AppState): void => {
    if (state.timerAt === undefined) return
    timers.clearTimeout(state.timer)
    state.timer = undefined
    state.timerAt = undefined
  }

  const drain = (state: AppState): void => {
    const now = clock.now()
    while (state.live > 0) {
      const freeAt = nextFreeAt(state, now)
      if (freeAt === Number.POSITIVE_INFINITY) {
        clearTimer(state)
        return
      }
      if (freeAt > now) {
        if (state.timerAt !== freeAt) {
          clearTimer(state)
          state.timerAt = freeAt
          state.timer = timers.setTimeout(
            () => {
              state.timer = undefined
              state.timerAt = undefined
              drain(state)
            },
            Math.max(0, Math.ceil(freeAt - now)),
          )
        }
        return
      }
      const waiter = takeNext(state)
      if (waiter === undefined) break
      settle(state, waiter)
      waiter.resolve(grant(state))
    }
    clearTimer(state)
  }

  const settle = (state: AppState, waiter: Waiter): void => {
    waiter.done = true
    state.live -= 1
    if (waiter.onAbort !== undefined) waiter.signal?.removeEventListener('abort', waiter.onAbort)
  }

  // Forget apps that have been quiet for a whole span, so a long-lived process does not grow without bound.
  const sweep = (now: number): void => {
    if (now - lastSweep < span) return
    lastSweep = now
    for (const [appId, state] of apps) {
      expire(state, now)
      if (state.live === 0 && state.slots.length === 0) apps.delete(appId)
    }
  }

  const stateOf = (appId: number): AppState => {
    let state = apps.get(appId)
    if (state === undefined) {
      state = {
        slots: [],
        queues: {
          urgent: { items: [], head: 0 },
          normal: { items: [], head: 0 },
          background: { items: [], head: 0 },
          idle: { items: [], head: 0 },
        },
        live: 0,
        timer: undefined,
        timerAt: undefined,
      }
      apps.set(appId, state)
    }
    return state
  }

  return {
    limit,
    waiting: (appId) => apps.get(appId)?.live ?? 0,
    acquire(appId, lane = 'normal', signal) {
      if (signal?.aborted) return Promise.reject(abortReason(signal))
      const now = clock.now()
      sweep(now)
      const state = stateOf(appId)
      if (state.live === 0 && nextFreeAt(state, now) <= now) return Promise.resolve(grant(state))
      return new Promise<Release>((resolve, reject) => {
        const waiter: Waiter = { resolve, reject, signal, onAbort: undefined, done: false }
        if (signal !== undefined) {
          waiter.onAbort = () => {
            if (waiter.done) return
            settle(state, waiter)
            if (state.live === 0) clearTimer(state)
            reject(abortReason(signal))
          }
          signal.addEventListener('abort', waiter.onAbort, { once: true })
        }
        state.queues[lane].items.push(waiter)
        state.live += 1
        drain(state)
      })
    },
  }
}

function windowLimit(ratePerSecond: number, windowMs: number): number {
  if (!(ratePerSecond > 0) || !(windowMs > 0)) {
    throw new RangeError(`ratePerSecond and windowMs must be > 0, got ${ratePerSecond} and ${windowMs}`)
  }
  const exact = (ratePerSecond * windowMs) / 1000
  const limit = Math.round(exact)
  if (limit < 1 || Math.abs(exact - limit) > 1e-9) {
    throw new RangeError(`ratePerSecond * windowMs / 1000 must be a whole number >= 1, got ${exact}`)
  }
  return limit
}
