import type { Clock, Timers } from './time.ts'

// Test support (not exported from the package): a clock and timers that move only when told to.

interface Pending {
  at: number
  seq: number
  callback: () => void
}

export interface ManualTime {
  clock: Clock
  timers: Timers
  /** Moves time forward by `ms`, firing due timers in order and letting promise reactions run after each. */
  advance(ms: number): Promise<void>
  /** Runs every promise reaction queued so far without moving time. */
  settle(): Promise<void>
  pendingTimers(): number
}

export function createManualTime(start = 0): ManualTime {
  let now = start
  let seq = 0
  const pending = new Map<number, Pending>()
  const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve))
  const nextDue = (until: number): [number, Pending] | undefined => {
    let best: [number, Pending] | undefined
    for (const entry of pending) {
      const [, p] = entry
      if (p.at > until) continue
      if (best === undefined || p.at < best[1].at || (p.at === best[1].at && p.seq < best[1].seq))
        best = entry
    }
    return best
  }
  return {
    clock: { now: () => now },
    timers: {
      setTimeout(callback, ms) {
        seq += 1
        pending.set(seq, { at: now + Math.max(0, ms), seq, callback })
        return seq
      },
      clearTimeout(handle) {
        pending.delete(handle as number)
      },
    },
    async advance(ms) {
      const target = now + ms
      await settle()
      for (let due = nextDue(target); due !== undefined; due = nextDue(target)) {
        const [id, p] = due
        pending.delete(id)
        now = Math.max(now, p.at)
        p.callback()
        await settle()
      }
      now = target
      await settle()
    },
    settle,
    pendingTimers: () => pending.size,
  }
}
