import { backoffDelay, type Clock, type Timers } from '@mixguard/time'
import { RETRY_BACKOFF } from './retry-backoff.ts'

/**
 * A save waits at least this many times as long as the last one took: an app of 20–30k live streams
 * takes 100–500 ms to encode (in slices, adapters/state-records.ts SLICE_MS), so saving it every second
 * would spend a tenth to half of the reconciler's time there, taken from every deadline, list and answer.
 * Saving less often costs only a longer replay after a crash. "Took" is the save's time from start to
 * landing: its encode, the work its slices let in, and the changelog round trip. It overstates the
 * encode's own share under load, which errs towards saving less often, never more.
 */
export const SAVE_TIME_SHARE = 10
/** The longest a change waits for its save, however long saves take: what a crash may replay. */
export const MAX_SAVE_DELAY_MS = 30_000

export interface SaveCoalescerOptions {
  clock: Clock
  timers: Timers
  /** How long a change may wait for its coalesced save (longer after a slow save: SAVE_TIME_SHARE). */
  delayMs: number
  /** Saves one partition's marked apps (see `take` and `putBack`). */
  savePartition: (partition: number) => Promise<void>
  /** A coalesced save landed, having taken `ms`. */
  onSaved?: (ms: number) => void
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
  /** How long the last coalesced save took. */
  #lastSaveMs = 0
  #stopped = false

  constructor(options: SaveCoalescerOptions) {
    this.#o = options
  }

  /** Marks an app changed and schedules the save. */
  mark(partition: number, appId: number): void {
    this.putBack(partition, [appId])
    this.schedule()
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

  schedule(delayMs = this.#delay()): void {
    if (this.#timer !== null || this.#dirty.size === 0 || this.#stopped) return
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = null
      const began = this.#o.clock.now()
      this.flush().then(
        () => {
          this.#failures = 0
          this.#lastSaveMs = this.#o.clock.now() - began
          this.#o.onSaved?.(this.#lastSaveMs)
        },
        (error: unknown) => {
          this.#o.onFailed?.(error)
          this.#failures++
          this.schedule(backoffDelay(RETRY_BACKOFF, this.#failures))
        },
      )
    }, delayMs)
  }

  #delay(): number {
    return Math.min(MAX_SAVE_DELAY_MS, Math.max(this.#o.delayMs, SAVE_TIME_SHARE * this.#lastSaveMs))
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
