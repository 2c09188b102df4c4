import { type CommandDecision, type DeadLetter, decodeEvent } from '@mixguard/contracts'
import { backoffDelay, type Clock, loopTurn, sleep, type Timers } from '@mixguard/time'
import {
  type AppPolicy,
  type AppState,
  type CoreInput,
  decide,
  emptyState,
  nextDeadline,
  pendingDecisions,
} from './core/index.ts'
import { DeadlineTimers } from './deadline-timers.ts'
import { isReconcilerError, ReconcilerError } from './errors.ts'
import { PartitionLock } from './partition-lock.ts'
import { RETRY_BACKOFF } from './retry-backoff.ts'
import { SaveCoalescer } from './save-coalescer.ts'
import { type EventRecord, type Executor, isRead, type StateStore, type StoredApp } from './shell-ports.ts'
import { decideTurnEvents, type Placed, type TurnEvent } from './turn-events.ts'

/** What the shell reports so metrics and logs can watch it; every hook is optional. */
interface ShellObserver {
  decided?(decision: CommandDecision): void
  eventsApplied?(count: number, partition: number): void
  deadLettered?(deadLetter: DeadLetter): void
  restored?(partitions: number[], apps: number, ms: number): void
  revoked?(partitions: number[]): void
  /** Every partition stopped acting (its timers and calls) until the group says who owns what. */
  suspended?(partitions: number[]): void
  /** The changed apps' state saved, in `ms` (the encode, its compression and the Kafka round trip). */
  saved?(ms: number): void
  saveFailed?(error: unknown): void
  /** A deadline, outcome or observation could not be applied; it is tried again after a backoff. */
  inputFailed?(appId: number, error: unknown, attempt: number): void
}

export interface ShellOptions {
  store: StateStore<AppState>
  executor: Executor
  policyFor: (appId: number) => AppPolicy
  /** Appends decisions to the decisions topic (before anything acts on them). */
  publishDecisions: (decisions: CommandDecision[]) => Promise<void>
  publishDeadLetters: (deadLetters: DeadLetter[]) => Promise<void>
  clock: Clock
  timers: Timers
  observer?: ShellObserver
  /** Name of the events topic, for dead-letter sources. */
  eventsTopic: string
  /**
   * How long changed state may wait for its coalesced save (default SAVE_DELAY_MS): a batch's offsets
   * are committed once a save covering it lands, so a crash replays at most about this much.
   */
  saveDelayMs?: number
  /**
   * Whether this instance may still write for a partition (the consumer group's view: assigned in the
   * current generation, no rebalance under way, session alive). Checked before every publish and save.
   */
  canWrite?: (partition: number) => boolean
}

/**
 * Records of a batch decided in one turn of the partition lock. A larger batch (a backlog, a burst of
 * load) is decided in several turns, so deadlines, answers and lists that wait for the partition get
 * theirs in between instead of waiting for the whole batch.
 */
export const RECORDS_PER_TURN = 200

/**
 * How long a change waits for its partition's coalesced save, by default. Encoding a large app's state
 * takes 100–500 ms (an app of 20–30k live streams; in slices, so the loop goes on meanwhile), so it is
 * done about once a second under load, not once per batch, and less often once a save takes longer
 * than a tenth of that (SAVE_TIME_SHARE); the batches meanwhile are decided, published and acted on.
 */
export const SAVE_DELAY_MS = 1_000

/** How long a turn waits for the outcome an answer came with (below); longer than any round trip seen. */
export const OUTCOME_WAIT_MS = 5_000

interface Owned {
  apps: Map<number, StoredApp<AppState>>
  lock: PartitionLock
  /**
   * Serialises the partition's saves (a batch's, the coalesced ones) outside `lock`: a save is an
   * encode and a Kafka round trip that deciding need not wait for, and saves must land in order.
   */
  saving: PartitionLock
  /** The restore from the changelog (again after a failed batch); batches and inputs wait for it. */
  ready: Promise<void>
  /** False while suspended: no deadline fires, no call runs and nothing is written for the partition. */
  active: boolean
  /** Settles once the partition's next save lands: the batches applied since the last one wait for it. */
  unsaved: Unsaved | null
}

interface Unsaved {
  promise: Promise<void>
  resolve: () => void
  reject: (error: unknown) => void
}

/** An input, and what must be durable before anything decided on it is acted on (an answer's outcome record). */
interface Waiting {
  input: CoreInput
  durable: { promise: Promise<void>; failed: boolean } | null
}

interface WaitingInputs {
  inputs: Waiting[]
  /** Resolves once they landed (or were given up with the partition). */
  landed: Promise<void>
}

/**
 * load → decide → publish → apply → save, for the partitions this instance owns. The state of every app
 * lives here while its partition is assigned; it is restored from the changelog on assignment and
 * dropped on revocation.
 *
 * A batch is decided on drafts (decide() never mutates its input), in turns: a turn's decisions are
 * published, and only then do its drafts become the state and are its decisions carried out. The
 * batch's apps are saved with the partition's next coalesced save, and the caller commits the offsets
 * only once that save landed, so nothing is ever recognised as applied that was not saved (a state
 * saved by then carries the offset it covers, `appliedOffset`, and a batch delivered again skips what
 * its state already holds). A deadline, outcome or observation publishes its decisions before they
 * become the state, and is retried with a backoff until it lands.
 */
export class Shell {
  readonly #o: ShellOptions
  readonly #owned = new Map<number, Owned>()
  readonly #partitionOf = new Map<number, number>()
  readonly #deadlines: DeadlineTimers
  /** Apps changed by deadlines and outcomes since their partition was last saved. */
  readonly #saves: SaveCoalescer
  /** Aborted by stop(): wakes every backoff. */
  readonly #stopping = new AbortController()
  /** Bumped by every suspension, so an assignment decided before it is not acted on after it. */
  #epoch = 0
  #stopped = false
  /** Per app, the inputs waiting for its partition's next turn. */
  readonly #waiting = new Map<number, WaitingInputs>()

  constructor(options: ShellOptions) {
    this.#o = options
    this.#deadlines = new DeadlineTimers(options.clock, options.timers, (appId) => {
      void this.input(appId, { kind: 'tick' })
    })
    this.#saves = new SaveCoalescer({
      clock: options.clock,
      timers: options.timers,
      delayMs: options.saveDelayMs ?? SAVE_DELAY_MS,
      savePartition: (partition) => this.#flushPartition(partition),
      onSaved: (ms) => this.#o.observer?.saved?.(ms),
      onFailed: (error) => this.#o.observer?.saveFailed?.(error),
    })
  }

  /**
   * The partitions now owned: restores new ones, drops lost ones, and resumes kept ones — from memory
   * when the changelog shows that nobody else wrote them meanwhile, else from the changelog.
   */
  async assign(partitions: number[]): Promise<void> {
    const epoch = this.#epoch
    const next = new Set(partitions)
    const lost = [...this.#owned.keys()].filter((p) => !next.has(p))
    if (lost.length > 0) this.revoke(lost)
    const kept = partitions.filter((p) => this.#owned.has(p))
    const unchanged = kept.length > 0 ? await this.#o.store.unchanged(kept) : new Set<number>()
    if (epoch !== this.#epoch) return // suspended meanwhile: the next assignment decides
    for (const p of kept) {
      if (unchanged.has(p)) this.#activate(p)
      else this.#drop(p)
    }
    const fresh = partitions.filter((p) => !this.#owned.has(p))
    if (fresh.length === 0) return
    const began = performance.now() // real time: a metric of our work, not of the (maybe simulated) clock
    const restoring = this.#o.store.restore(fresh)
    for (const p of fresh) {
      const owned: Owned = {
        apps: new Map(),
        lock: new PartitionLock(),
        saving: new PartitionLock(),
        ready: Promise.resolve(),
        active: true,
        unsaved: null,
      }
      owned.ready = owned.lock.run(async () => this.#install(p, owned, (await restoring).get(p)))
      this.#owned.set(p, owned)
    }
    await Promise.all(fresh.map((p) => this.#owned.get(p)?.ready))
    const apps = fresh.reduce((n, p) => n + (this.#owned.get(p)?.apps.size ?? 0), 0)
    this.#o.observer?.restored?.(fresh, apps, Math.round(performance.now() - began))
    for (const p of fresh) if (this.#owned.get(p)?.active) this.#activate(p)
  }

  /** Waits for the partition's restore; one that failed is started again (the caller retries later). */
  async ready(partition: number): Promise<void> {
    const owned = this.#owned.get(partition)
    if (!owned) return
    const restoring = owned.ready
    try {
      await restoring
    } catch (error) {
      if (owned.ready === restoring && this.#owned.get(partition) === owned) this.#reload(partition, owned)
      throw error
    }
  }

  revoke(partitions: number[]): void {
    const apps: number[] = []
    for (const p of partitions) apps.push(...this.#drop(p))
    this.#o.executor.cancel(apps)
    this.#o.observer?.revoked?.(partitions)
  }

  /**
   * The group is rebalancing, or this member may have been dropped from it: every partition stops
   * firing deadlines, running calls and writing until the next assignment says what is still ours.
   * The state stays in memory; assign() keeps it only if nobody else wrote the changelog meanwhile.
   */
  suspend(): void {
    this.#epoch++
    const apps: number[] = []
    for (const owned of this.#owned.values()) {
      owned.active = false
      for (const appId of owned.apps.keys()) {
        this.#deadlines.disarm(appId)
        apps.push(appId)
      }
    }
    this.#o.executor.cancel(apps)
    this.#o.observer?.suspended?.([...this.#owned.keys()])
  }

  owns(partition: number): boolean {
    return this.#owned.get(partition)?.active === true
  }

  apps(): Iterable<StoredApp<AppState>> {
    return [...this.#owned.values()].flatMap((o) => [...o.apps.values()])
  }

  /**
   * Applies a batch of records from one events partition, in order. Resolves once every turn's
   * decisions are published, its drafts are the state and its decisions are being carried out, with
   * `saved`: settles once a save that covers the batch landed (the caller then commits the offsets), or
   * rejects with NOT_OWNER when the partition is dropped before. Rejects when a turn failed: the turns
   * before it stay applied (their decisions are published), so the batch delivered again skips their
   * records and decides the rest.
   *
   * The batch is decided in turns of the partition lock (RECORDS_PER_TURN records each), so deadlines
   * and answers are decided between them. Its apps are saved with the partition's next coalesced save
   * (about a second later under load, SAVE_DELAY_MS), one encode for every batch, deadline and answer
   * of that second. Until then a crash replays the batch from the last committed offset, which decides
   * the same again (decision ids are deterministic, StopMix is idempotent).
   */
  async applyBatch(partition: number, records: EventRecord[]): Promise<{ saved: Promise<void> }> {
    await this.ready(partition)
    const owned = this.#owned.get(partition)
    if (!owned) throw notOwner(partition)
    let applied = 0
    for (let from = 0; from < records.length; from += RECORDS_PER_TURN) {
      // Deadlines and answers that reached the process meanwhile get the partition before this turn.
      await loopTurn()
      const turn = records
        .slice(from, from + RECORDS_PER_TURN)
        .map((record) => ({ record, decoded: decodeEvent(record.value) }))
      await owned.lock.run(async () => {
        applied += await this.#decideTurn(partition, owned, turn)
      })
    }
    this.#o.observer?.eventsApplied?.(applied, partition)
    owned.unsaved ??= unsaved()
    // A batch that changed no app (records already applied, dead letters) still waits for a save: the
    // ones before it may be in one that fails.
    if (!this.#saves.marked(partition)) this.#saves.putBack(partition, [])
    this.#saves.schedule()
    return { saved: owned.unsaved.promise }
  }

  /**
   * One turn of a batch: decides its records on drafts (decide() never mutates its input), publishes
   * their dead letters and decisions, and only then makes the drafts the partition's state (marked for
   * its next save) and carries the decisions out. Resolves with how many records it applied.
   */
  async #decideTurn(
    partition: number,
    owned: Owned,
    turn: { record: EventRecord; decoded: ReturnType<typeof decodeEvent> }[],
  ): Promise<number> {
    this.#assertWritable(partition, owned)
    const now = this.#o.clock.now()
    const deadLetters: Placed<DeadLetter>[] = []
    const events: TurnEvent[] = []
    const source = (at: number) => `${this.#o.eventsTopic}[${partition}]@${turn[at]?.record.offset}`
    const payload = (at: number) => turn[at]?.record.value?.toString('utf8') ?? ''
    for (const [at, { record, decoded }] of turn.entries()) {
      if (!decoded.ok) {
        const letter = { source: source(at), reason: decoded.reason, receivedAt: now, appId: null }
        deadLetters.push({ at, value: { v: 1, ...letter, payload: payload(at) } })
        continue
      }
      const last = owned.apps.get(decoded.event.appId)?.appliedOffset ?? null
      // Saved but not committed before a crash: already in this state, so skip it.
      if (last !== null && BigInt(record.offset) <= BigInt(last)) continue
      events.push({ at, offset: record.offset, event: decoded.event })
    }
    // Each app's events in one batch, its decisions in the turn's order (turn-events.ts).
    const decided = decideTurnEvents(
      events,
      (appId) => owned.apps.get(appId) ?? { appId, appliedOffset: null, state: emptyState(appId) },
      now,
      (appId) => this.#o.policyFor(appId),
    )
    for (const { at, value } of decided.failures) {
      // A defect, not bad data: set aside with the error so the partition (and this app) go on.
      const { error, appId } = value
      const reason = `deciding failed: ${error instanceof Error ? error.message : String(error)}`
      deadLetters.push({
        at,
        value: { v: 1, source: source(at), reason, receivedAt: now, appId, payload: payload(at) },
      })
    }
    const letters = deadLetters.sort((a, b) => a.at - b.at).map((d) => d.value)
    const { decisions } = decided
    const applied = events.length - decided.failures.length
    if (letters.length > 0) await this.#o.publishDeadLetters(letters)
    if (decisions.length > 0) await this.#o.publishDecisions(decisions)
    this.#assertWritable(partition, owned)
    for (const app of decided.apps) {
      owned.apps.set(app.appId, app)
      this.#partitionOf.set(app.appId, partition)
      this.#saves.mark(partition, app.appId)
    }
    for (const d of letters) this.#o.observer?.deadLettered?.(d)
    this.#act(decided.apps, decisions)
    return applied
  }

  /**
   * Feeds a non-event input (a deadline, an outcome, an observation) into one app. Never rejects: a
   * failure is retried after a backoff until it lands, or until the app's partition is no longer
   * active here (its next owner, or this one on resuming, re-derives it from the saved state).
   *
   * Inputs of one app that wait for its partition (busy with a batch, or with inputs before them)
   * wait together: they are decided in order in the partition's next turn and their decisions
   * published in one round trip, so a burst of outcomes does not queue one publish behind another.
   *
   * `durable` is the recording of a ZEGO answer's outcome, still on its way to Kafka: the answer is
   * decided on meanwhile (the stop it confirms can share the outcome's produce request), but nothing
   * decided on it becomes the state or is carried out before the outcome is durable. An answer whose
   * outcome never lands is not applied (its check stays pending); the inputs waiting with it are.
   */
  input(appId: number, input: CoreInput, durable?: Promise<void>): Promise<void> {
    const entry: Waiting = { input, durable: null }
    if (durable) {
      const tracked = { promise: durable, failed: false }
      durable.catch(() => {
        tracked.failed = true
      })
      entry.durable = tracked
    }
    const waiting = this.#waiting.get(appId)
    if (waiting) {
      waiting.inputs.push(entry)
      return waiting.landed
    }
    const group: WaitingInputs = { inputs: [entry], landed: Promise.resolve() }
    this.#waiting.set(appId, group)
    group.landed = this.#land(appId, group)
    return group.landed
  }

  async #land(appId: number, group: WaitingInputs): Promise<void> {
    // Inputs that come once the group has its turn (or gave up) wait for the next one.
    const close = () => {
      if (this.#waiting.get(appId) === group) this.#waiting.delete(appId)
    }
    try {
      for (let attempt = 1; !this.#stopped; attempt++) {
        const partition = this.#partitionOf.get(appId)
        const owned = partition === undefined ? undefined : this.#owned.get(partition)
        if (partition === undefined || !owned?.active) return
        try {
          await owned.lock.run(() => {
            close()
            return this.#inputOnce(partition, owned, appId, group.inputs)
          })
          return
        } catch (error) {
          this.#o.observer?.inputFailed?.(appId, error, attempt)
          if (isReconcilerError(error, 'NOT_OWNER')) return
          group.inputs = group.inputs.filter((entry) => entry.durable?.failed !== true)
          if (group.inputs.length === 0) return
          await sleep(backoffDelay(RETRY_BACKOFF, attempt), this.#o.timers, this.#stopping.signal).catch(
            () => {},
          )
        }
      }
    } finally {
      close()
    }
  }

  async #inputOnce(partition: number, owned: Owned, appId: number, inputs: Waiting[]): Promise<void> {
    const app = owned.apps.get(appId)
    if (!app || this.#owned.get(partition) !== owned) return // being restored: that re-arms and re-submits
    this.#assertWritable(partition, owned)
    const now = this.#o.clock.now()
    const policy = this.#o.policyFor(appId)
    let state = app.state
    const decisions: CommandDecision[] = []
    const apply = (input: CoreInput) => {
      const step = decide(state, input, now, policy)
      state = step.state
      decisions.push(...step.decisions)
    }
    for (const { input } of inputs) apply(input)
    // A deadline the inputs made due (an orphan its room list confirmed) is decided in this turn: as a
    // timer's tick it would wait for the partition again, behind the next batch.
    const due = nextDeadline(state)
    if (due !== null && due <= now && inputs.some(({ input }) => input.kind !== 'tick'))
      apply({ kind: 'tick' })
    // A read (a room list, GetMixTaskInfo) goes out while its decision is being published; what it
    // brings is recorded and fed back only once this turn landed (executor.ts). The rest waits below.
    const landed = this.#landTurn(decisions, inputs)
    for (const decision of decisions) if (isRead(decision.command)) this.#o.executor.submit(decision, landed)
    await landed
    // Saved with the next coalesced save: until then a crash replays it (deadlines are in the last
    // saved state and fire again, pending stops are carried out again, and StopMix is idempotent), and
    // saving a large app's state on every deadline and outcome would cost time quadratic in its size.
    const next = { ...app, state }
    owned.apps.set(appId, next)
    this.#saves.mark(partition, appId)
    this.#act([next], decisions, (decision) => isRead(decision.command))
  }

  /** An input turn lands: its decisions published, then the outcomes its inputs came with durable. */
  async #landTurn(decisions: CommandDecision[], inputs: Waiting[]): Promise<void> {
    if (decisions.length > 0) await this.#o.publishDecisions(decisions)
    await this.#durable(inputs)
  }

  /**
   * Waits, at most OUTCOME_WAIT_MS, for the outcomes the inputs came with. One that takes longer (its
   * topic refusing records for a while) must not hold the partition: the turn fails as a publish would,
   * and the inputs are tried again after a backoff, by then usually on a durable outcome.
   */
  async #durable(inputs: Waiting[]): Promise<void> {
    const pending = inputs.flatMap(({ durable }) => (durable ? [durable.promise] : []))
    if (pending.length === 0) return
    let timer: unknown
    const late = new Promise<never>((_, reject) => {
      timer = this.#o.timers.setTimeout(() => reject(outcomePending()), OUTCOME_WAIT_MS)
    })
    try {
      await Promise.race([Promise.all(pending), late])
    } finally {
      this.#o.timers.clearTimeout(timer)
    }
  }

  /**
   * Published and saved: report the decisions, arm the apps' deadlines and carry the decisions out
   * (but those `submitted` already, while they were being published).
   */
  #act(
    apps: Iterable<StoredApp<AppState>>,
    decisions: CommandDecision[],
    submitted: (decision: CommandDecision) => boolean = () => false,
  ): void {
    for (const decision of decisions) this.#o.observer?.decided?.(decision)
    for (const app of apps) {
      this.#arm(app)
      for (const decision of decisions)
        if (decision.appId === app.appId && !submitted(decision)) this.#o.executor.submit(decision)
    }
  }

  #assertWritable(partition: number, owned: Owned): void {
    if (this.#owned.get(partition) !== owned || !owned.active || this.#o.canWrite?.(partition) === false)
      throw notOwner(partition)
  }

  /**
   * Saves every app changed since its last save (also before a graceful hand-over). A partition that is
   * suspended stays marked; one whose save fails is marked again (and the failure reported).
   */
  flush(): Promise<void> {
    return this.#saves.flush()
  }

  #flushPartition(partition: number): Promise<void> {
    const owned = this.#owned.get(partition)
    if (!owned) {
      this.#saves.clear(partition)
      return Promise.resolve()
    }
    return owned.saving.run(async () => {
      const ids = this.#saves.marked(partition)
      if (!ids || this.#owned.get(partition) !== owned || !owned.active) return
      this.#saves.clear(partition)
      // The batches applied so far: every app they changed is marked, so this save covers them.
      const covers = owned.unsaved
      owned.unsaved = null
      try {
        this.#assertWritable(partition, owned)
        if (ids.size > 0)
          await this.#o.store.save(
            partition,
            [...ids].flatMap((id) => owned.apps.get(id) ?? []),
            // Again once encoded: the partition may have been taken away between the encode's slices.
            () => this.#assertWritable(partition, owned),
          )
      } catch (error) {
        if (this.#owned.get(partition) === owned) {
          this.#saves.putBack(partition, ids)
          // Not saved: they wait for the next save, with the batches applied meanwhile.
          if (covers) {
            owned.unsaved ??= unsaved()
            owned.unsaved.promise.then(covers.resolve, covers.reject)
          }
        } else covers?.reject(notOwner(partition))
        throw error
      }
      covers?.resolve()
    })
  }

  /** Forgets a partition: its apps, timers and unsaved changes (never saved now: another owner may write). */
  #drop(partition: number): number[] {
    const owned = this.#owned.get(partition)
    if (!owned) return []
    const apps = [...owned.apps.keys()]
    for (const appId of apps) {
      this.#deadlines.disarm(appId)
      this.#partitionOf.delete(appId)
    }
    this.#owned.delete(partition)
    this.#saves.clear(partition)
    owned.unsaved?.reject(notOwner(partition))
    return apps
  }

  /** Discards the partition's state and restores it from the changelog (after a failed batch or restore). */
  #reload(partition: number, owned: Owned): void {
    owned.ready = owned.lock.run(async () => {
      for (const appId of owned.apps.keys()) {
        this.#deadlines.disarm(appId)
        this.#partitionOf.delete(appId)
      }
      owned.apps.clear()
      this.#saves.clear(partition)
      const restored = await this.#o.store.restore([partition])
      if (this.#owned.get(partition) !== owned) return
      this.#install(partition, owned, restored.get(partition))
      if (owned.active) this.#activate(partition)
    })
    // Observed by ready(): a failure here is retried on the next batch, never left unhandled.
    owned.ready.catch(() => undefined)
  }

  #install(partition: number, owned: Owned, apps: Map<number, StoredApp<AppState>> | undefined): void {
    for (const [appId, app] of apps ?? []) {
      owned.apps.set(appId, app)
      this.#partitionOf.set(appId, partition)
    }
  }

  /** Overdue deadlines fire at once; decisions that were made but not finished are carried out again. */
  #activate(partition: number): void {
    const owned = this.#owned.get(partition)
    if (!owned) return
    owned.active = true
    for (const app of owned.apps.values()) {
      this.#arm(app)
      for (const decision of pendingDecisions(app.state)) this.#o.executor.submit(decision)
    }
    this.#saves.schedule()
  }

  #arm(app: StoredApp<AppState>): void {
    this.#deadlines.arm(app.appId, nextDeadline(app.state))
  }

  /** Armed deadlines (for metrics): how many, and how many are already due. */
  deadlines(now: number): { armed: number; overdue: number } {
    return this.#deadlines.count(now)
  }

  stop(): void {
    this.#stopped = true
    this.#deadlines.stop()
    this.#saves.stop()
    this.#stopping.abort()
  }
}

/** A save to wait for; its rejection is observed here, so a partition dropped with nobody waiting is no error. */
function unsaved(): Unsaved {
  let resolve = () => {}
  let reject: (error: unknown) => void = () => {}
  const promise = new Promise<void>((res, rej) => {
    resolve = res
    reject = rej
  })
  promise.catch(() => undefined)
  return { promise, resolve, reject }
}

function outcomePending(): ReconcilerError {
  return new ReconcilerError('OUTCOME_PENDING', "an answer's outcome is not durable yet", { retryable: true })
}

function notOwner(partition: number): ReconcilerError {
  return new ReconcilerError('NOT_OWNER', `partition ${partition} is not active on this instance`, {
    retryable: false,
  })
}
