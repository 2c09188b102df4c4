import type { Clock, Timers } from '@mixguard/zego-api'

/** Test support: a clock and timers that move only when the test says so. */
export interface ManualTime {
  clock: Clock
  timers: Timers
  /** Moves time forward, firing due timers in order. */
  advance(ms: number): void
  pending(): number
}

export function createManualTime(start = 1_700_000_000_000): ManualTime {
  let now = start
  let seq = 0
  const due = new Map<number, { at: number; fn: () => void }>()
  return {
    clock: { now: () => now },
    timers: {
      setTimeout(fn, ms) {
        seq += 1
        due.set(seq, { at: now + Math.max(0, ms), fn })
        return seq
      },
      clearTimeout(handle) {
        due.delete(handle as number)
      },
    },
    advance(ms) {
      const target = now + ms
      for (;;) {
        let next: [number, { at: number; fn: () => void }] | undefined
        for (const entry of due)
          if (entry[1].at <= target && (next === undefined || entry[1].at < next[1].at)) next = entry
        if (next === undefined) break
        due.delete(next[0])
        now = Math.max(now, next[1].at)
        next[1].fn()
      }
      now = target
    },
    pending: () => due.size,
  }
}
