import { type DeadLetter, type Decision, decodeEvent, type ZegoEvent } from '@mixguard/contracts'
import type { Clock, Timers } from '@mixguard/zego-api'
import type { Executor, TaskContext } from './adapters/executor.ts'
import type { StateStore, StoredApp } from './adapters/state-store.ts'
import {
  type AppPolicy,
  type AppState,
  type CoreInput,
  decide,
  emptyState,
  nextDeadline,
  pendingDecisions,
} from './core/index.ts'
import { PartitionLock } from './partition-lock.ts'

/** What the shell reports so metrics and logs can watch it; every hook is optional. */
export interface ShellObserver {
  decided?(decision: Decision): void
  eventsApplied?(count: number, partition: number): void
  deadLettered?(deadLetter: DeadLetter): void
  restored?(partitions: number[], apps: number, ms: number): void
  revoked?(partitions: number[]): void
  saveFailed?(error: unknown): void
}

export interface ShellOptions {
  store: StateStore<AppState>
  executor: Executor
  policyFor: (appId: number) => AppPolicy
  /** Appends decisions to the decisions topic (before anything acts on them). */
  publishDecisions: (decisions: Decision[]) => Promise<void>
  publishDeadLetters: (deadLetters: DeadLetter[]) => Promise<void>
  taskContext: (state: AppState, taskId: string) => TaskContext
  clock: Clock
  timers: Timers
  observer?: ShellObserver
  /** Name of the events topic, for dead-letter sources. */
  eventsTopic: string
  /** How long state changed by deadlines and outcomes may wait for its coalesced save (default 250 ms). */
  saveDelayMs?: number
}

export interface EventRecord {
  offset: string
  value: Buffer | null
}

interface Owned {
  apps: Map<number, StoredApp<AppState>>
  lock: PartitionLock
  ready: Promise<void>
}

/**
 * load → decide → save → apply, for the partitions this instance owns. The state of every app lives
 * here while its partition is assigned; it is restored from the changelog on assignment and dropped on
 * revocation. Each step publishes decisions first, then saves state, then hands decisions to the executor:
 * a crash anywhere re-decides the same (deterministic) decisions from the last saved state.
 */
export class Shell {
  readonly #o: ShellOptions
  readonly #owned = new Map<number, Owned>()
  readonly #partitionOf = new Map<number, number>()
  readonly #timers = new Map<number, { handle: unknown; at: number }>()
  /** Apps changed since their partition was last saved (see #commit). */
  readonly #dirty = new Map<number, Set<number>>()
  #flushTimer: unknown = null

  constructor(options: ShellOptions) {
    this.#o = options
  }

  /** The partitions now owned; restores new ones, drops lost ones. */
  async assign(partitions: number[]): Promise<void> {
    const next = new Set(partitions)
    const lost = [...this.#owned.keys()].filter((p) => !next.has(p))
    if (lost.length > 0) this.revoke(lost)
    const fresh = partitions.filter((p) => !this.#owned.has(p))
    if (fresh.length === 0) return
    const began = performance.now() // real time: a metric of our work, not of the (maybe simulated) clock
    const restoring = this.#o.store.restore(fresh)
    for (const p of fresh) {
      const owned: Owned = { apps: new Map(), lock: new PartitionLock(), ready: Promise.resolve() }
      owned.ready = owned.lock.run(async () => {
        for (const [appId, app] of (await restoring).get(p) ?? []) {
          owned.apps.set(appId, app)
          this.#partitionOf.set(appId, p)
        }
      })
      this.#owned.set(p, owned)
    }
    await Promise.all(fresh.map((p) => this.#owned.get(p)?.ready))
    const apps = fresh.reduce((n, p) => n + (this.#owned.get(p)?.apps.size ?? 0), 0)
    this.#o.observer?.restored?.(fresh, apps, Math.round(performance.now() - began))
    // Overdue deadlines fire at once; decisions that were made but not finished are carried out again.
    for (const p of fresh) {
      const owned = this.#owned.get(p)
      if (!owned) continue
      for (const app of owned.apps.values()) {
        this.#arm(app)
        for (const decision of pendingDecisions(app.state)) this.#submit(app.state, decision)
      }
    }
  }

  revoke(partitions: number[]): void {
    const apps: number[] = []
    for (const p of partitions) {
      const owned = this.#owned.get(p)
      if (!owned) continue
      for (const appId of owned.apps.keys()) {
        apps.push(appId)
        this.#disarm(appId)
        this.#partitionOf.delete(appId)
      }
      this.#owned.delete(p)
      // Never saved after losing the partition: that could overwrite what its new owner saves.
      this.#dirty.delete(p)
    }
    this.#o.executor.cancel(apps)
    this.#o.observer?.revoked?.(partitions)
  }

  owns(partition: number): boolean {
    return this.#owned.has(partition)
  }

  apps(): Iterable<StoredApp<AppState>> {
    return [...this.#owned.values()].flatMap((o) => [...o.apps.values()])
  }

  /** Applies a batch of records from one events partition, in order. Resolves once state is saved. */
  async applyBatch(partition: number, records: EventRecord[]): Promise<void> {
    const owned = this.#owned.get(partition)
    if (!owned) throw new Error(`partition ${partition} is not owned by this instance`)
    await owned.ready
    await owned.lock.run(async () => {
      const now = this.#o.clock.now()
      const changed = new Map<number, StoredApp<AppState>>()
      const decisions: Decision[] = []
      const deadLetters: DeadLetter[] = []
      let applied = 0
      for (const record of records) {
        const decoded = decodeEvent(record.value)
        if (!decoded.ok) {
          deadLetters.push({
            v: 1,
            source: `${this.#o.eventsTopic}[${partition}]@${record.offset}`,
            reason: decoded.reason,
            receivedAt: now,
            appId: null,
            payload: record.value?.toString('utf8') ?? '',
          })
          continue
        }
        const event: ZegoEvent = decoded.event
        const app = owned.apps.get(event.appId) ?? {
          appId: event.appId,
          appliedOffset: null,
          state: emptyState(event.appId),
        }
        // Saved but not committed before a crash: already in this state, so skip it.
        if (app.appliedOffset !== null && BigInt(record.offset) <= BigInt(app.appliedOffset)) continue
        const step = decide(app.state, { kind: 'event', event }, now, this.#o.policyFor(event.appId))
        app.state = step.state
        app.appliedOffset = record.offset
        owned.apps.set(event.appId, app)
        this.#partitionOf.set(event.appId, partition)
        changed.set(event.appId, app)
        decisions.push(...step.decisions)
        applied++
      }
      await this.#commit(partition, [...changed.values()], decisions, deadLetters)
      this.#o.observer?.eventsApplied?.(applied, partition)
    })
  }

  /** Feeds a non-event input (a deadline, an outcome, an observation) into one app. */
  async input(appId: number, input: CoreInput): Promise<void> {
    const partition = this.#partitionOf.get(appId)
    const owned = partition === undefined ? undefined : this.#owned.get(partition)
    if (partition === undefined || !owned) return // revoked meanwhile: the new owner takes over
    await owned.lock.run(async () => {
      const app = owned.apps.get(appId)
      if (!app || this.#owned.get(partition) !== owned) return
      const step = decide(app.state, input, this.#o.clock.now(), this.#o.policyFor(appId))
      app.state = step.state
      await this.#commit(partition, [app], step.decisions, [], 'later')
    })
  }

  /**
   * Decisions are published before anything acts on them. A batch of events saves its apps' state at
   * once (its offsets are committed right after); a deadline, outcome or observation only marks the
   * app for the next coalesced save: until then a crash replays it (deadlines are in the last saved
   * state and fire again, pending stops are carried out again, and StopMix is idempotent), and saving
   * a large app's state on every deadline and outcome would cost time quadratic in its size.
   */
  async #commit(
    partition: number,
    apps: StoredApp<AppState>[],
    decisions: Decision[],
    deadLetters: DeadLetter[],
    save: 'now' | 'later' = 'now',
  ) {
    if (deadLetters.length > 0) {
      await this.#o.publishDeadLetters(deadLetters)
      for (const d of deadLetters) this.#o.observer?.deadLettered?.(d)
    }
    if (decisions.length > 0) await this.#o.publishDecisions(decisions)
    if (save === 'now') {
      const dirty = this.#dirty.get(partition)
      const extra = dirty ? [...dirty].filter((id) => !apps.some((a) => a.appId === id)) : []
      const owned = this.#owned.get(partition)
      const more = extra.flatMap((id) => owned?.apps.get(id) ?? [])
      await this.#o.store.save(partition, [...apps, ...more])
      this.#dirty.delete(partition)
    } else {
      this.#markDirty(partition, apps)
    }
    for (const decision of decisions) this.#o.observer?.decided?.(decision)
    for (const app of apps) {
      this.#arm(app)
      for (const decision of decisions) if (decision.appId === app.appId) this.#submit(app.state, decision)
    }
  }

  #markDirty(partition: number, apps: StoredApp<AppState>[]): void {
    const dirty = this.#dirty.get(partition) ?? new Set<number>()
    for (const app of apps) dirty.add(app.appId)
    this.#dirty.set(partition, dirty)
    if (this.#flushTimer !== null) return
    this.#flushTimer = this.#o.timers.setTimeout(() => {
      this.#flushTimer = null
      void this.flush().catch((error: unknown) => this.#o.observer?.saveFailed?.(error))
    }, this.#o.saveDelayMs ?? 250)
  }

  /** Saves every app changed since its last save (also before a graceful hand-over). */
  async flush(): Promise<void> {
    await Promise.all(
      [...this.#dirty.keys()].map((partition) => {
        const owned = this.#owned.get(partition)
        if (!owned) {
          this.#dirty.delete(partition)
          return Promise.resolve()
        }
        return owned.lock.run(async () => {
          const ids = this.#dirty.get(partition)
          if (!ids || this.#owned.get(partition) !== owned) return
          this.#dirty.delete(partition)
          await this.#o.store.save(
            partition,
            [...ids].flatMap((id) => owned.apps.get(id) ?? []),
          )
        })
      }),
    )
  }

  #submit(state: AppState, decision: Decision): void {
    this.#o.executor.submit(decision, this.#o.taskContext(state, decision.taskId))
  }

  #arm(app: StoredApp<AppState>): void {
    const at = nextDeadline(app.state)
    const current = this.#timers.get(app.appId)
    if (current && current.at === at) return
    this.#disarm(app.appId)
    if (at === null) return
    // setTimeout holds at most ~24.8 days; a later deadline is re-armed when this one fires.
    const delay = Math.min(Math.max(0, at - this.#o.clock.now()), 2 ** 31 - 1)
    const handle = this.#o.timers.setTimeout(() => {
      this.#timers.delete(app.appId)
      void this.input(app.appId, { kind: 'tick' })
    }, delay)
    this.#timers.set(app.appId, { handle, at })
  }

  #disarm(appId: number): void {
    const current = this.#timers.get(appId)
    if (current) this.#o.timers.clearTimeout(current.handle)
    this.#timers.delete(appId)
  }

  /** Armed deadlines (for metrics): how many, and how many are already due. */
  deadlines(now: number): { armed: number; overdue: number } {
    let overdue = 0
    for (const { at } of this.#timers.values()) if (at <= now) overdue++
    return { armed: this.#timers.size, overdue }
  }

  stop(): void {
    for (const appId of [...this.#timers.keys()]) this.#disarm(appId)
    if (this.#flushTimer !== null) this.#o.timers.clearTimeout(this.#flushTimer)
    this.#flushTimer = null
  }
}
