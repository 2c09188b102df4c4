import { type Backoff, backoffDelay, type Clock, sleep, type Timers } from '@mixguard/time'
import { IngestError, isIngestError } from './errors.ts'
import { type KafkaLink, permanentErrorType } from './kafka-link.ts'
import { deadLetterFor, type Rejection } from './set-aside.ts'
import type { Spool } from './spool.ts'
import { frameSize, type SpoolRecord } from './spool-format.ts'
import { appendQuarantine } from './spool-quarantine.ts'

/**
 * Where a record was made durable before `publish` resolved. `dead-letter`: Kafka can never take it
 * (too large, invalid), and its dead-letter record (reason, sizes, the start of the value) is durable
 * instead, on Kafka or in the spool. `quarantine`: the dead-letter topic refused that too, and the
 * whole record is in the quarantine file beside the spool.
 */
export type Durability = 'kafka' | 'spool' | 'dead-letter' | 'quarantine'

export type PublisherEvent =
  | { type: 'produced'; records: number; ms: number }
  | { type: 'produce_failed'; records: number; ms: number; error: unknown }
  | { type: 'spooled'; records: number }
  | { type: 'drained'; records: number; ms: number }
  | { type: 'kafka_up' }
  | { type: 'kafka_down'; error: unknown }
  /** An attempt to reach Kafka again failed; the next one comes after `delayMs`. */
  | { type: 'kafka_retry'; attempt: number; delayMs: number; error: unknown }
  /**
   * A record Kafka can never take was moved aside (to the dead-letter topic, or the quarantine file),
   * published directly or found while draining the spool.
   */
  | {
      type: 'set_aside'
      where: 'dead-letter' | 'quarantine'
      path: 'direct' | 'drain'
      topic: string
      key: string | null
      bytes: number
      rejection: Rejection
      error?: unknown
    }

export interface PublisherStatus {
  kafkaUp: boolean
  spool: { records: number; bytes: number; maxBytes: number }
  queued: number
}

export interface Publisher {
  /**
   * Resolves once the record is durable: acknowledged by Kafka with acks = all, or fsynced in the
   * spool, or set aside (see Durability) when Kafka can never take it. Rejects with SPOOL_FULL,
   * SPOOL_WRITE_FAILED or CLOSED: then nothing was stored.
   */
  publish(record: SpoolRecord): Promise<Durability>
  status(): PublisherStatus
  /** Starts connecting and draining in the background. */
  start(): void
  /** Resolves when Kafka is up, or after `ms` (false). */
  whenUp(ms: number): Promise<boolean>
  /**
   * Flushes what is queued, drains the spool while Kafka takes it, until `deadline` (epoch ms on the
   * publisher's clock); whatever is left stays on disk for the next start.
   */
  close(deadline: number): Promise<{ spooled: number }>
}

export interface PublisherOptions {
  link: KafkaLink
  spool: Spool
  clock: Clock
  timers: Timers
  /** How long the first record of a batch waits for company; 0 sends as soon as nothing is in flight. */
  lingerMs: number
  maxBatchRecords: number
  /**
   * Bytes (spool frame sizes, which exceed Kafka's record sizes by a little) one batch may hold, and
   * so any one partition's share of it: below the topics' `max.message.bytes`, with room for Kafka's
   * batch header. A record larger than this alone can never be sent: it is set aside.
   */
  maxBatchBytes: number
  /** Where records Kafka can never take go instead, with the reason. */
  deadLetterTopic: string
  /** A send that takes longer counts as failed: the batch goes to the spool. */
  sendTimeoutMs: number
  /** Connecting includes making missing topics, which takes longer than a send. */
  connectTimeoutMs?: number
  /** Backoff between attempts to reach Kafka again. */
  retryMinMs?: number
  retryMaxMs?: number
  onEvent?: (event: PublisherEvent) => void
}

/** One record on its way to Kafka. */
interface Slot {
  /** The record as published (or as found in the spool). */
  original: SpoolRecord
  /** What is sent: the original, or the dead-letter record standing in for it once it was rejected. */
  record: SpoolRecord
  rejection: Rejection | null
  setAside: 'dead-letter' | 'quarantine' | null
  /** Why the dead-letter record was refused too (quarantine only). */
  refusedAgain?: unknown
}

interface Waiting {
  slot: Slot
  resolve: (d: Durability) => void
  reject: (e: unknown) => void
}

/** A send failed for Kafka's state (down, slow, shutdown) after the first `done` slots went. */
class Stalled {
  readonly done: number
  readonly error: unknown
  constructor(done: number, error: unknown) {
    this.done = done
    this.error = error
  }

  /** Anything else thrown counts as a stall before the first slot. */
  static of(thrown: unknown): Stalled {
    return thrown instanceof Stalled ? thrown : new Stalled(0, thrown)
  }
}

/**
 * Micro-batching in front of Kafka, with the spool behind it. Records queue up while a batch is in
 * flight (or for `lingerMs`), then go as one request, capped by count and by bytes. While Kafka is
 * down, or while anything older waits in the spool, batches go to the spool, so nothing newer reaches
 * Kafka before something older: a background loop drains the spool in order once Kafka answers again.
 * A record Kafka can never take (larger than a batch may be, or refused for what it is) is set aside
 * in its place, never spooled or sent again: see `ship`.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { link, spool, clock, timers, lingerMs, maxBatchRecords, maxBatchBytes, sendTimeoutMs } = options
  const { deadLetterTopic } = options
  const reconnectBackoff: Backoff = {
    baseDelayMs: options.retryMinMs ?? 200,
    maxDelayMs: options.retryMaxMs ?? 5_000,
    jitter: 'none',
  }
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000
  const emit = options.onEvent ?? (() => {})
  let queue: Waiting[] = []
  let queuedBytes = 0
  let linger: unknown = null
  let flushing: Promise<void> | null = null
  let kafkaUp = false
  let connected = false
  let recovering: Promise<void> | null = null
  let closed = false
  let started = false
  const stop = new AbortController()
  const upWaiters = new Set<() => void>()

  const markUp = (): void => {
    if (kafkaUp) return
    kafkaUp = true
    emit({ type: 'kafka_up' })
    for (const w of upWaiters) w()
    upWaiters.clear()
  }
  const markDown = (error: unknown): void => {
    connected = false
    if (!kafkaUp) return
    kafkaUp = false
    emit({ type: 'kafka_down', error })
  }

  /** Bounds a Kafka call by a timeout, and by shutdown: a drain cut short leaves its records spooled. */
  const timed = <T>(work: Promise<T>, what: string, ms = sendTimeoutMs): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const fail = (error: IngestError): void => {
        timers.clearTimeout(timer)
        stop.signal.removeEventListener('abort', stopped)
        reject(error)
      }
      const stopped = (): void =>
        fail(new IngestError('CLOSED', `${what} was cut short by shutdown`, { retryable: true }))
      const timer = timers.setTimeout(
        () =>
          fail(new IngestError('KAFKA_TIMEOUT', `${what} took longer than ${ms} ms`, { retryable: true })),
        ms,
      )
      if (stop.signal.aborted) stopped()
      else stop.signal.addEventListener('abort', stopped, { once: true })
      work.then(resolve, reject).finally(() => {
        timers.clearTimeout(timer)
        stop.signal.removeEventListener('abort', stopped)
      })
    })

  const rejectSlot = (slot: Slot, rejection: Rejection): void => {
    slot.rejection = rejection
    slot.setAside = 'dead-letter'
    slot.record = deadLetterFor(slot.original, rejection, deadLetterTopic, clock.now())
  }

  /** A slot for a record; one that can never fit in a batch is rejected before anything is sent. */
  const slotFor = (record: SpoolRecord): Slot => {
    const slot: Slot = { original: record, record, rejection: null, setAside: null }
    const bytes = frameSize(record)
    if (bytes > maxBatchBytes) {
      rejectSlot(slot, {
        code: 'too_large',
        detail: `the record takes ${bytes} bytes; a Kafka batch may hold ${maxBatchBytes}`,
        limitBytes: maxBatchBytes,
      })
    }
    return slot
  }

  /**
   * Sends `slots` in order. A batch Kafka refuses for its contents (RECORD_REJECTED) is split in
   * halves, sent one after the other, down to the refused record alone: that one is replaced by its
   * dead-letter record, and if Kafka refuses that too, the whole record goes to the quarantine file.
   * Every other record still goes, in its order. Throws Stalled on any other failure.
   */
  const ship = async (slots: Slot[], what: string): Promise<void> => {
    try {
      await timed(link.send(slots.map((s) => s.record)), what)
      return
    } catch (error) {
      if (!isIngestError(error, 'RECORD_REJECTED')) throw new Stalled(0, error)
      if (slots.length > 1) {
        const half = Math.ceil(slots.length / 2)
        await ship(slots.slice(0, half), what)
        await ship(slots.slice(half), what).catch((e: unknown) => {
          throw e instanceof Stalled ? new Stalled(half + e.done, e.error) : e
        })
        return
      }
      const slot = slots[0] as Slot
      if (slot.setAside === null) {
        const type = permanentErrorType(error)
        rejectSlot(slot, {
          code: type?.endsWith('TOO_LARGE') ? 'too_large' : 'refused',
          detail: error.message,
        })
        return ship(slots, what)
      }
      try {
        await appendQuarantine(spool.dir, slot.original)
      } catch (failed) {
        throw new Stalled(0, failed)
      }
      slot.setAside = 'quarantine'
      slot.refusedAgain = error
    }
  }

  const reportSetAside = (slot: Slot, path: 'direct' | 'drain'): void => {
    if (slot.setAside === null || slot.rejection === null) return
    emit({
      type: 'set_aside',
      where: slot.setAside,
      path,
      topic: slot.original.topic,
      key: slot.original.key,
      bytes: slot.original.value.length,
      rejection: slot.rejection,
      ...(slot.refusedAgain === undefined ? {} : { error: slot.refusedAgain }),
    })
  }

  const settle = (batch: Waiting[], where: Durability): void => {
    for (const w of batch) {
      reportSetAside(w.slot, 'direct')
      w.resolve(w.slot.setAside ?? where)
    }
  }

  const deliver = async (batch: Waiting[]): Promise<void> => {
    let pending = batch
    if (kafkaUp && connected && spool.depth().records === 0) {
      const t0 = clock.now()
      try {
        await ship(
          batch.map((w) => w.slot),
          'a Kafka send',
        )
        emit({ type: 'produced', records: batch.length, ms: clock.now() - t0 })
        settle(batch, 'kafka')
        return
      } catch (stalled) {
        const { done, error } = Stalled.of(stalled)
        settle(batch.slice(0, done), 'kafka')
        pending = batch.slice(done)
        // The send may still land later: then the records are on Kafka twice, with one event id.
        emit({ type: 'produce_failed', records: pending.length, ms: clock.now() - t0, error })
        markDown(error)
      }
    }
    const records = pending.map((w) => w.slot.record)
    const fit = spool.fits(records)
    const refused = pending.slice(fit)
    try {
      await spool.append(records.slice(0, fit))
      emit({ type: 'spooled', records: fit })
      settle(pending.slice(0, fit), 'spool')
    } catch (error) {
      for (const w of pending.slice(0, fit)) w.reject(error)
    }
    if (refused.length > 0) {
      const full = new IngestError(
        'SPOOL_FULL',
        `the spool is full (${spool.depth().bytes} of ${spool.maxBytes} bytes)`,
        { retryable: true, retryAfterMs: 1000 },
      )
      for (const w of refused) w.reject(full)
    }
    recover()
  }

  const flush = (): Promise<void> => {
    if (linger !== null) {
      timers.clearTimeout(linger)
      linger = null
    }
    if (flushing !== null) return flushing
    if (queue.length === 0) return Promise.resolve()
    flushing = drainQueue()
    return flushing
  }

  // One batch in flight at a time: batches reach Kafka (or the spool) in the order they formed.
  const drainQueue = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        let count = 0
        let bytes = 0
        for (const w of queue) {
          const size = frameSize(w.slot.record)
          if (count === maxBatchRecords || (count > 0 && bytes + size > maxBatchBytes)) break
          count += 1
          bytes += size
        }
        const batch = queue.slice(0, count)
        queue = queue.slice(count)
        queuedBytes -= bytes
        await deliver(batch)
      }
    } finally {
      // Cleared in the same tick as the last check of the queue, so a record queued after it starts
      // a new flush instead of waiting for one that has ended.
      flushing = null
    }
  }

  /** The spool's oldest records to Kafka; what went (or was set aside) is committed, even on a stall. */
  const drainSpool = async (): Promise<void> => {
    const slots = (await spool.peek(maxBatchRecords, maxBatchBytes)).map(slotFor)
    const t0 = clock.now()
    let done = slots.length
    let failure: Stalled | null = null
    try {
      await ship(slots, 'a Kafka send from the spool')
    } catch (stalled) {
      failure = Stalled.of(stalled)
      done = failure.done
    }
    if (done > 0) {
      await spool.commit(done)
      emit({ type: 'drained', records: done, ms: clock.now() - t0 })
      for (const slot of slots.slice(0, done)) reportSetAside(slot, 'drain')
    }
    if (failure !== null) throw failure.error
  }

  const settled = (): boolean => kafkaUp && connected && spool.depth().records === 0

  /** Runs while Kafka is not known to be up or the spool holds anything; at most one at a time. */
  const recover = (): void => {
    if (recovering !== null || !started || stop.signal.aborted || settled()) return
    recovering = recoveryLoop()
  }

  const recoveryLoop = async (): Promise<void> => {
    let attempt = 0
    try {
      // Suspend once before the first check, so `recovering` is assigned before `finally` clears it.
      await Promise.resolve()
      while (!stop.signal.aborted && !settled()) {
        try {
          if (!connected) {
            await link.reset()
            await timed(link.connect(), 'connecting to Kafka', connectTimeoutMs)
            connected = true
          }
          if (spool.depth().records > 0) await drainSpool()
          markUp()
          attempt = 0
        } catch (error) {
          markDown(error)
          attempt += 1
          const delayMs = backoffDelay(reconnectBackoff, attempt)
          emit({ type: 'kafka_retry', attempt, delayMs, error })
          // Shutdown wakes it: the loop then ends on the aborted signal.
          await sleep(delayMs, timers, stop.signal).catch(() => {})
        }
      }
    } finally {
      // Same tick as the loop's last check: a record spooled after it starts a new loop.
      recovering = null
    }
  }

  return {
    publish(record) {
      if (closed)
        return Promise.reject(new IngestError('CLOSED', 'ingest is shutting down', { retryable: true }))
      return new Promise<Durability>((resolve, reject) => {
        const slot = slotFor(record)
        queue.push({ slot, resolve, reject })
        queuedBytes += frameSize(slot.record)
        if (queue.length >= maxBatchRecords || queuedBytes >= maxBatchBytes || lingerMs === 0) void flush()
        else if (linger === null && flushing === null)
          linger = timers.setTimeout(() => void flush(), lingerMs)
      })
    },
    status: () => ({
      kafkaUp: kafkaUp && connected,
      spool: { ...spool.depth(), maxBytes: spool.maxBytes },
      queued: queue.length,
    }),
    start() {
      started = true
      recover()
    },
    whenUp(ms) {
      if (kafkaUp && connected) return Promise.resolve(true)
      return new Promise((resolve) => {
        const timer = timers.setTimeout(() => {
          upWaiters.delete(up)
          resolve(false)
        }, ms)
        const up = (): void => {
          timers.clearTimeout(timer)
          resolve(true)
        }
        upWaiters.add(up)
      })
    },
    async close(deadline) {
      closed = true
      await flush()
      // Keep draining until the spool is empty or the deadline passes; then stop the loop.
      const remaining = Math.max(0, deadline - clock.now())
      if (spool.depth().records > 0 && remaining > 0) {
        await new Promise<void>((resolve) => {
          const timer = timers.setTimeout(finish, remaining)
          const poll = (): void => {
            if (spool.depth().records === 0 || recovering === null) finish()
            else void recovering.then(poll, poll)
          }
          function finish(): void {
            timers.clearTimeout(timer)
            resolve()
          }
          recover()
          poll()
        })
      }
      stop.abort()
      await recovering
      await link.close().catch(() => {})
      const spooled = spool.depth().records
      await spool.close()
      return { spooled }
    },
  }
}
