import { backoffDelay, type Timers } from '@mixguard/time'
import { RETRY_BACKOFF } from './retry-backoff.ts'

export interface SaveCoalescerOptions {
  timers: Timers
  /** How long a change may wait for its coalesced save. */
  delayMs: number
  /** Saves one partition's marked apps (see `take` and `putBack`). */
  savePartition: (partition: number) => Promise<void>
  onFailed?: (error: unknown) => void
}

/**
 * Apps changed since their partition was last saved, saved together a little later: saving a large
 * app's state on every deadline and outcome would cost time quadratic in its size. A failed save is
 * retried after a backoff.
 */
export class SaveCoalescer {
  readonly #o: SaveCoalescerOptions
  readonly #dirty = new Map<number, Set<number>>()
  #timer: unknown = null
  #failures = 0
  #stopped = false

  constructor(options: SaveCoalescerOptions) {
    this.#o = options
  }

  /** Marks an app changed and schedules the save. */
  mark(partition: number, appId: number): void {
    this.putBack(partition, [appId])
    this.schedule(this.#o.delayMs)
  }

  /** Marks apps changed again (after a failed save) without scheduling. */
  putBack(partition: number, appIds: Iterable<number>): void {
    const dirty = this.#dirty.get(partition) ?? new Set<number>()
    for (const id of appIds) dirty.add(id)
    this.#dirty.set(partition, dirty)
  }

  /** The apps marked in a partition. */
  marked(partition: number): Set<number> | undefined {
    return this.#dirty.get(partition)
  }

  /** Forgets the partition's marks (saved, or no longer ours). */
  clear(partition: number): void {
    this.#dirty.delete(partition)
  }

  schedule(delayMs = this.#o.delayMs): void {
    if (this.#timer !== null || this.#dirty.size === 0 || this.#stopped) return
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = null
      this.flush().then(
        () => {
          this.#failures = 0
        },
        (error: unknown) => {
          this.#o.onFailed?.(error)
          this.#failures++
          this.schedule(backoffDelay(RETRY_BACKOFF, this.#failures))
        },
      )
    }, delayMs)
  }

  /** Saves every marked partition; rejects with the first failure once all have settled. */
  async flush(): Promise<void> {
    const results = await Promise.allSettled([...this.#dirty.keys()].map((p) => this.#o.savePartition(p)))
    const failed = results.find((r) => r.status === 'rejected')
    if (failed) throw failed.reason
  }

  stop(): void {
    this.#stopped = true
    if (this.#timer !== null) this.#o.timers.clearTimeout(this.#timer)
    this.#timer = null
  }
}
