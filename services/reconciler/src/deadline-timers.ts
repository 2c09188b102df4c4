import type { Clock, Timers } from '@mixguard/time'

/** One timer per app for its next deadline; `fire` is called with the app when it is due. */
export class DeadlineTimers {
  readonly #clock: Clock
  readonly #timers: Timers
  readonly #fire: (appId: number) => void
  readonly #armed = new Map<number, { handle: unknown; at: number }>()
  #stopped = false

  constructor(clock: Clock, timers: Timers, fire: (appId: number) => void) {
    this.#clock = clock
    this.#timers = timers
    this.#fire = fire
  }

  /** Arms the app's timer for `at` (epoch ms), replacing another; null disarms it. */
  arm(appId: number, at: number | null): void {
    const current = this.#armed.get(appId)
    if (current && current.at === at) return
    this.disarm(appId)
    if (at === null || this.#stopped) return
    // setTimeout holds at most ~24.8 days; a later deadline is re-armed when this one fires.
    const delay = Math.min(Math.max(0, at - this.#clock.now()), 2 ** 31 - 1)
    const handle = this.#timers.setTimeout(() => {
      this.#armed.delete(appId)
      this.#fire(appId)
    }, delay)
    this.#armed.set(appId, { handle, at })
  }

  disarm(appId: number): void {
    const current = this.#armed.get(appId)
    if (current) this.#timers.clearTimeout(current.handle)
    this.#armed.delete(appId)
  }

  /** Armed deadlines (for metrics): how many, and how many are already due. */
  count(now: number): { armed: number; overdue: number } {
    let overdue = 0
    for (const { at } of this.#armed.values()) if (at <= now) overdue++
    return { armed: this.#armed.size, overdue }
  }

  /** Disarms every timer; none is armed afterwards. */
  stop(): void {
    this.#stopped = true
    for (const appId of [...this.#armed.keys()]) this.disarm(appId)
  }
}
