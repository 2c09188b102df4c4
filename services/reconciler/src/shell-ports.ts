import type { CommandDecision } from '@mixguard/contracts'

/**
 * The ports the shell drives, declared on the shell's side: the adapters (the Kafka state store, the
 * ZEGO executor) implement them, and tests hand the shell fakes of them.
 */

/**
 * One app's state as the shell keeps it and the changelog stores it: the core's state plus the offset
 * of the last event applied to it, so that events replayed after a crash (state saved, offsets not
 * yet committed) are recognised and skipped.
 */
export interface StoredApp<S> {
  appId: number
  /** Offset (decimal string) of the last events-topic record applied to this app; null: none yet. */
  appliedOffset: string | null
  state: S
}

export interface StateStore<S> {
  /** Every app stored in `partitions` of the changelog, read to its end: partition → appId → app. */
  restore(partitions: number[]): Promise<Map<number, Map<number, StoredApp<S>>>>
  /** Writes apps to the changelog partition that matches their events partition; resolves once acked by all replicas. */
  save(partition: number, apps: StoredApp<S>[]): Promise<void>
  /**
   * Of `partitions`, those whose changelog nobody else wrote since this store last restored or wrote
   * them (their end offset is where this store left it): what this instance holds of them is current.
   */
  unchanged(partitions: number[]): Promise<Set<number>>
}

export interface Executor {
  /** Carries a decision's command out once; a decision already in flight is not started twice. */
  submit(decision: CommandDecision): void
  /** Abandons the work of apps this instance no longer owns (their new owner re-executes it). */
  cancel(appIds: Iterable<number>): void
  inFlight(): number
  /** Resolves when nothing is in flight (graceful shutdown). */
  drained(): Promise<void>
}

/** One record of the events topic, as the source hands it to the shell. */
export interface EventRecord {
  offset: string
  value: Buffer | null
}
