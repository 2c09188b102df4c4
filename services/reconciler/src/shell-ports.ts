import type { Command, CommandDecision } from '@mixguard/contracts'

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
  /**
   * Writes apps to the changelog partition that matches their events partition; resolves once acked by
   * all replicas. `beforeWrite` is called once their records are made (an encode lets other work run
   * between its slices, a rebalance included), right before the first is sent: if it throws, nothing is
   * written and the save rejects with its error.
   */
  save(partition: number, apps: StoredApp<S>[], beforeWrite?: () => void): Promise<void>
  /**
   * Of `partitions`, those whose changelog nobody else wrote since this store last restored or wrote
   * them (their end offset is where this store left it): what this instance holds of them is current.
   */
  unchanged(partitions: number[]): Promise<Set<number>>
}

/**
 * The calls that change nothing at ZEGO: they may be sent while the decision asking for them is being
 * published (`Executor.submit`'s `landed`). Every other call (StopMix) waits for its decision's publish.
 */
const READS: ReadonlySet<Command['call']> = new Set(['DescribeSimpleStreamList', 'GetMixTaskInfo'])

export const isRead = (command: Command): boolean => READS.has(command.call)

export interface Executor {
  /**
   * Carries a decision's command out once; a decision already in flight is not started twice.
   * `landed` (default: landed already) settles when the decision is on the decisions topic and may be
   * acted on. Until then a read is sent but nothing it brings is recorded or fed back, and any other
   * call is not sent; if it rejects, the call is given up and its answer dropped, and the same decision
   * submitted again runs again.
   */
  submit(decision: CommandDecision, landed?: Promise<void>): void
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
