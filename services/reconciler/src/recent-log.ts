import type { Decision, Outcome } from '@mixguard/contracts'

/** The last decisions and outcomes this process wrote, newest first, for the status page. */
export class RecentLog {
  readonly #max: number
  readonly decisions: Decision[] = []
  readonly outcomes: Outcome[] = []

  constructor(max = 50) {
    this.#max = max
  }

  decided(decision: Decision): void {
    this.decisions.unshift(decision)
    this.decisions.length = Math.min(this.decisions.length, this.#max)
  }

  recorded(outcome: Outcome): void {
    this.outcomes.unshift(outcome)
    this.outcomes.length = Math.min(this.outcomes.length, this.#max)
  }

  /** ZEGO calls of an app whose result landed since `since` (each attempt writes one outcome). */
  callsSince(appId: number, since: number): number {
    return this.outcomes.filter((o) => o.appId === appId && o.at >= since).length
  }
}
