import type { Clock, Timers } from './clock.ts'

/** A timer of the manual clock; the handle `setTimeout` returns. */
export interface ManualTimer {
  /** Epoch ms at which it fires. */
  readonly dueAt: number
}

/**
 * The one manual clock every test uses: time moves only when the test says so, and due timers fire in
 * order (by due time, then by creation), each at its own due time.
 */
export interface ManualTime {
  clock: Clock
  timers: Timers
  /**
   * Moves time forward by `ms`, firing due timers in order and letting promise reactions run before and
   * after each, so async code that schedules its next timer from a resolved promise keeps up.
   */
  advance(ms: number): Promise<void>
  /** Moves time forward by `ms`, firing due timers in order, without waiting for promise reactions. */
  advanceSync(ms: number): void
  /** `advanceSync` to an absolute time (never backwards). */
  advanceTo(atMs: number): void
  /** Runs the promise reactions queued so far (several turns of the event loop) without moving time. */
  settle(): Promise<void>
  /** Due time of the earliest pending timer, if any. */
  nextDueAt(): number | undefined
  pendingTimers(): number
  /** Cancels every pending timer; the clock stays readable. */
  clearAll(): void
}

interface Pending extends ManualTimer {
  readonly seq: number
  readonly callback: () => void
}

/** Event-loop turns `settle` runs: enough for a chain of awaits (store → topic → executor) to finish. */
const SETTLE_TURNS = 20

export function createManualTime(startMs = 0): ManualTime {
  let now = startMs
  let seq = 0
  const pending = new Set<Pending>()

  const earliest = (): Pending | undefined => {
    let best: Pending | undefined
    for (const p of pending)
      if (best === undefined || p.dueAt < best.dueAt || (p.dueAt === best.dueAt && p.seq < best.seq)) best = p
    return best
  }
  const fire = (p: Pending): void => {
    pending.delete(p)
    now = Math.max(now, p.dueAt)
    p.callback()
  }
  const advanceTo = (target: number): void => {
    for (let due = earliest(); due !== undefined && due.dueAt <= target; due = earliest()) fire(due)
    now = Math.max(now, target)
  }
  const settle = async (): Promise<void> => {
    for (let turn = 0; turn < SETTLE_TURNS; turn += 1) await new Promise((resolve) => setImmediate(resolve))
  }

  return {
    clock: { now: () => now },
    timers: {
      setTimeout(callback, ms) {
        seq += 1
        const timer: Pending = { dueAt: now + Math.max(0, ms), seq, callback }
        pending.add(timer)
        return timer
      },
      clearTimeout(handle) {
        pending.delete(handle as Pending)
      },
    },
    async advance(ms) {
      const target = now + ms
      await settle()
      for (let due = earliest(); due !== undefined && due.dueAt <= target; due = earliest()) {
        fire(due)
        await settle()
      }
      now = Math.max(now, target)
      await settle()
    },
    advanceSync: (ms) => advanceTo(now + ms),
    advanceTo,
    settle,
    nextDueAt: () => earliest()?.dueAt,
    pendingTimers: () => pending.size,
    clearAll: () => pending.clear(),
  }
}
