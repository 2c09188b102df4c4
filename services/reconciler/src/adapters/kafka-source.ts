import type { Consumer, Kafka } from '@mixguard/kafka'
import { backoffDelay, loopTurn, sleep, systemTimers, type Timers } from '@mixguard/time'
import { isReconcilerError } from '../errors.ts'
import { RETRY_BACKOFF } from '../retry-backoff.ts'
import type { Shell } from '../shell.ts'

export interface SourceObserver {
  lag?(partition: number, lag: number): void
  joined?(partitions: number[]): void
  /** kafkajs gave up on the consumer; `restart`: it starts it again by itself. */
  crashed?(error: unknown, restart: boolean): void
  /** Restoring or resuming the assigned partitions failed; it is tried again after a backoff. */
  assignFailed?(error: unknown, attempt: number): void
  /** A batch could not be applied; it is tried again (never skipped) after a backoff. */
  batchFailed?(partition: number, error: unknown, attempt: number): void
  /** Saved offsets could not be committed; the next save's commit covers them (or they are replayed). */
  commitFailed?(partition: number, error: unknown): void
  /** This member stopped acting on its partitions: why. */
  suspended?(reason: 'rebalancing' | 'session' | 'crashed'): void
}

/** Consumer-group timing (see config.ts for what each one buys). */
export interface GroupTiming {
  sessionTimeoutMs: number
  heartbeatIntervalMs: number
  rebalanceTimeoutMs: number
}

export const DEFAULT_GROUP_TIMING: GroupTiming = {
  sessionTimeoutMs: 6_000,
  heartbeatIntervalMs: 1_000,
  rebalanceTimeoutMs: 10_000,
}

export interface KafkaSource {
  start(): Promise<void>
  /** Stops fetching (the member stays in the group) and waits for the batches under way. */
  pause(): Promise<void>
  /** Leaves the group: what was finished is committed, the rest is handed back to the group. */
  stop(): Promise<void>
  readonly consumer: Consumer
  assigned(): number[]
  /** Whether this member may act for `partition` now: assigned, no rebalance under way, session alive. */
  holds(partition: number): boolean
  /** True while an assignment's state is being restored from the changelog (or retried). */
  restoring(): boolean
}

/**
 * A fetch is answered once the broker holds this much for the member, or after FETCH_MAX_WAIT_MS. A
 * caught-up member fetching every event as it came (1 byte) sent a fetch per event or two at 1,000
 * events/s, each a request for the broker and a round of decode, decide and publish here, on the same
 * cores: gathering up to 50 ms of events cut the reconciler's CPU by about a tenth and the time-to-stop
 * bench's p99 by a third to two thirds. An event reaches the core at most 50 ms later; a backlog is
 * fetched at once, as before.
 */
const FETCH_MIN_BYTES = 64 * 1024
const FETCH_MAX_WAIT_MS = 50

/** kafkajs error types that mean this member's generation is over. */
const GROUP_ERRORS = new Set([
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
])

/** A partition's offsets: what the landed saves cover, what is committed, the commit under way. */
interface Committing {
  saved: bigint
  committed: bigint
  sending: Promise<void> | null
}

type Settled<T> = { ok: true; value: T } | { ok: false; error: unknown }

/**
 * The events topic as a consumer group. Assignments come from kafkajs's GROUP_JOIN event; the shell
 * restores the new partitions before any of their batches is applied. Once the shell has applied a
 * batch (its decisions published), the next is fetched; its offsets are committed only once a save of
 * the shell's state covering it landed (about a second later under load), and only while the
 * partition is still this member's. A commit lost in a rebalance or a crash costs a replay of records
 * the saved state already holds, which the shell skips.
 *
 * kafkajs 2.2.4 has no revoke callback and sends heartbeats only between batches or when eachBatch
 * calls `heartbeat()`. So: every wait inside eachBatch (a restore, a batch, a retry's backoff) keeps
 * heartbeating; the member suspends the shell as soon as it learns the group is rebalancing (the
 * REBALANCING event, a heartbeat failing) and when its session may have lapsed (no successful
 * heartbeat for half the session timeout: the coordinator may be handing its partitions to others);
 * and the shell resumes only on the next GROUP_JOIN, or on a heartbeat that proves the session alive.
 */
export function createKafkaSource(options: {
  kafka: Kafka
  groupId: string
  topic: string
  shell: Shell
  observer?: SourceObserver
  partitionsConsumedConcurrently?: number
  timing?: GroupTiming
  /** For the waits before an assignment is tried again (default: the system's). */
  timers?: Timers
}): KafkaSource {
  const { kafka, topic, shell } = options
  const timers = options.timers ?? systemTimers
  /** Aborted by stop(): a pending retry of an assignment ends instead of waiting. */
  const stopping = new AbortController()
  const timing = options.timing ?? DEFAULT_GROUP_TIMING
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    minBytes: FETCH_MIN_BYTES,
    sessionTimeout: timing.sessionTimeoutMs,
    heartbeatInterval: timing.heartbeatIntervalMs,
    rebalanceTimeout: timing.rebalanceTimeoutMs,
  })
  let assigned: number[] = []
  let assignment = Promise.resolve()
  let stable = false
  /** Real time (the broker's session runs on it) until which the session is known to be alive. */
  let leaseUntil = 0
  let leaseTimer: NodeJS.Timeout | undefined
  const batches = new Set<Promise<unknown>>()
  /**
   * Per partition: the offset the landed saves cover, the offset committed, and the commit under way
   * (stop() waits for it). One save covers every batch applied since the last (under load, a second's
   * worth): it is one OffsetCommit of the highest offset, never one per batch. The consumer's fetches,
   * heartbeats and commits share one connection to the broker, which answers them one at a time.
   */
  const offsets = new Map<number, Committing>()
  const commitWhenSaved = (partition: number, next: bigint, saved: Promise<void>) => {
    saved.then(
      () => {
        const o = offsets.get(partition) ?? { saved: -1n, committed: -1n, sending: null }
        offsets.set(partition, o)
        if (next > o.saved) o.saved = next
        o.sending ??= commitSaved(partition, o)
      },
      () => {}, // the partition was dropped before its save: its next owner replays the batch
    )
  }
  /** Commits what the landed saves cover while the partition is ours; a failed commit waits for the next save. */
  const commitSaved = async (partition: number, o: Committing) => {
    // Every batch the landed save covers reports its offset first (they all wait on that one save).
    await loopTurn()
    try {
      while (o.saved > o.committed && holds(partition)) {
        const next = o.saved
        await consumer.commitOffsets([{ topic, partition, offset: next.toString() }])
        o.committed = next
      }
    } catch (error) {
      options.observer?.commitFailed?.(partition, error)
    } finally {
      o.sending = null
    }
  }

  const suspend = (reason: 'rebalancing' | 'session' | 'crashed') => {
    if (!stable) return
    stable = false
    shell.suspend()
    options.observer?.suspended?.(reason)
  }
  // A failed assignment (the changelog unreachable) is tried again even when no batch comes to do it:
  // until it succeeds the partitions stay suspended and their deadlines would never fire.
  let restored: number[] | null = null
  const assign = (partitions: number[], attempt = 1) => {
    assignment = assignment
      .then(() => shell.assign(partitions))
      .then(() => {
        restored = partitions
      })
      .catch((error: unknown) => {
        options.observer?.assignFailed?.(error, attempt)
        sleep(backoffDelay(RETRY_BACKOFF, attempt), timers, stopping.signal).then(
          () => {
            if (stable && assigned === partitions) assign(partitions, attempt + 1)
          },
          () => {}, // stopped
        )
      })
  }
  // The coordinator drops a member a session timeout after the last heartbeat it received. Our last
  // successful one was sent before we saw its answer; half the session leaves room for that round trip.
  const renewLease = () => {
    leaseUntil = performance.now() + timing.sessionTimeoutMs / 2
    clearTimeout(leaseTimer)
    leaseTimer = setTimeout(() => suspend('session'), timing.sessionTimeoutMs / 2)
    leaseTimer.unref()
  }

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
    stable = true
    renewLease()
    assign(assigned)
    options.observer?.joined?.(assigned)
  })
  consumer.on(consumer.events.HEARTBEAT, () => {
    const lapsed = !stable && assigned.length > 0 && performance.now() >= leaseUntil
    renewLease()
    // The session outlived our doubt: same member, same generation, the partitions are still ours.
    if (lapsed) {
      stable = true
      assign(assigned)
    }
  })
  consumer.on(consumer.events.REBALANCING, () => suspend('rebalancing'))
  consumer.on(consumer.events.CRASH, ({ payload }) => {
    suspend('crashed')
    options.observer?.crashed?.(payload.error, payload.restart)
  })

  const holds = (partition: number) =>
    stable && performance.now() < leaseUntil && assigned.includes(partition)

  return {
    consumer,
    assigned: () => assigned,
    holds,
    restoring: () => restored !== assigned,
    async start() {
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          const { partition } = batch
          // Every wait below keeps the session alive; a heartbeat that fails (the group rebalances)
          // ends the batch, and kafkajs rejoins. A wait that rejects is handled here, not thrown.
          const beating = <T>(work: Promise<T>) =>
            whileHeartbeating(work, heartbeat, timing.heartbeatIntervalMs)
          const work = (async () => {
            for (let attempt = 1; ; attempt++) {
              if (!isRunning() || isStale() || batch.isEmpty()) return
              await beating(assignment)
              // Not ours now (a rebalance or a lapsed session): unresolved, the batch is fetched again;
              // a pause first keeps that from spinning until the group settles.
              if (!holds(partition)) {
                await beating(sleep(timing.heartbeatIntervalMs, timers))
                return
              }
              const applied = await beating(
                (async () => {
                  const { saved } = await shell.applyBatch(
                    partition,
                    batch.messages.map((m) => ({ offset: m.offset, value: m.value })),
                  )
                  const last = batch.lastOffset()
                  resolveOffset(last)
                  commitWhenSaved(partition, BigInt(last) + 1n, saved)
                })(),
              )
              if (applied.ok) break
              // The group moved on (a commit refused for its generation): kafkajs must rejoin.
              if (GROUP_ERRORS.has((applied.error as { type?: string }).type ?? '')) throw applied.error
              options.observer?.batchFailed?.(partition, applied.error, attempt)
              if (isReconcilerError(applied.error, 'NOT_OWNER')) {
                // Not ours any more: the check at the top of the loop pauses and hands the batch back.
                if (!holds(partition)) continue
                // Ours, but the shell's assignment failed (the broker was unreachable): try it again.
                assign(assigned)
              }
              await beating(sleep(backoffDelay(RETRY_BACKOFF, attempt), timers))
            }
            options.observer?.lag?.(partition, Number(batch.offsetLag()))
            await heartbeat()
          })()
          batches.add(work)
          try {
            await work
          } finally {
            batches.delete(work)
          }
        },
      })
    },
    async pause() {
      consumer.pause([{ topic }])
      await Promise.allSettled([...batches])
    },
    async stop() {
      stopping.abort()
      clearTimeout(leaseTimer)
      // The commits of what the last saves covered (a graceful stop saves first) go out before we leave.
      await loopTurn()
      await Promise.allSettled([...offsets.values()].map((o) => o.sending))
      await consumer.disconnect()
      stable = false
      shell.revoke(assigned)
      assigned = []
    },
  }
}

/** Waits for `work` while heartbeating every `intervalMs`; only a failing heartbeat throws. */
async function whileHeartbeating<T>(
  work: Promise<T>,
  heartbeat: () => Promise<void>,
  intervalMs: number,
): Promise<Settled<T>> {
  const settled: Promise<Settled<T>> = work.then(
    (value) => ({ ok: true, value }),
    (error: unknown) => ({ ok: false, error }),
  )
  for (;;) {
    let timer: NodeJS.Timeout | undefined
    const beat = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), intervalMs)
    })
    const result = await Promise.race([settled, beat])
    clearTimeout(timer)
    if (result !== null) return result
    await heartbeat()
  }
}
