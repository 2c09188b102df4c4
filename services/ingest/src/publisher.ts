import type { Clock, Timers } from '@mixguard/time'
import { IngestError } from './errors.ts'
import type { KafkaLink } from './kafka-link.ts'
import { createShipper, type Slot, Stalled } from './kafka-shipper.ts'
import { createKafkaSupervisor } from './kafka-supervisor.ts'
import type { Durability, PublisherEvent } from './publisher-events.ts'
import type { Spool } from './spool.ts'
import { createSpoolDrainer } from './spool-drainer.ts'
import { frameSize, type SpoolRecord } from './spool-format.ts'

export type { Durability, PublisherEvent } from './publisher-events.ts'

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
  /**
   * How long the first record of a batch waits for company, also when it came in while the previous
   * batch was in flight (then it has waited that send already); 0 sends as soon as nothing is in flight.
   */
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

interface Waiting {
  /** When it was queued (the publisher's clock). */
  queuedAt: number
  slot: Slot
  resolve: (d: Durability) => void
  reject: (e: unknown) => void
}

/**
 * Micro-batching in front of Kafka, with the spool behind it. Records queue up while a batch is in
 * flight, and a batch goes once its first record has waited `lingerMs` (at once when it is full),
 * as one request, capped by count and by bytes. While Kafka is
 * down, or while anything older waits in the spool, batches go to the spool, so nothing newer reaches
 * Kafka before something older: a background loop drains the spool in order once Kafka answers again.
 * A record Kafka can never take (larger than a batch may be, or refused for what it is) is set aside
 * in its place, never spooled or sent again: see kafka-shipper.ts.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { link, spool, clock, timers, lingerMs, maxBatchRecords, maxBatchBytes, sendTimeoutMs } = options
  const emit = options.onEvent ?? (() => {})
  let queue: Waiting[] = []
  let queuedBytes = 0
  let flushing: Promise<void> | null = null
  /** Ends the linger under way early (a full batch, or closing); null while none is. */
  let endLinger: (() => void) | null = null
  let closed = false
  const stop = new AbortController()
  const shipper = createShipper({
    link,
    spoolDir: spool.dir,
    clock,
    timers,
    maxBatchBytes,
    deadLetterTopic: options.deadLetterTopic,
    sendTimeoutMs,
    signal: stop.signal,
    emit,
  })
  const supervisor = createKafkaSupervisor({
    link,
    spool,
    timers,
    shipper,
    drainSpool: createSpoolDrainer({ spool, shipper, clock, maxBatchRecords, maxBatchBytes, emit }),
    connectTimeoutMs: options.connectTimeoutMs ?? 15_000,
    backoff: {
      baseDelayMs: options.retryMinMs ?? 200,
      maxDelayMs: options.retryMaxMs ?? 5_000,
      jitter: 'none',
    },
    signal: stop.signal,
    emit,
  })

  const settle = (batch: Waiting[], where: Durability): void => {
    for (const w of batch) {
      shipper.reportSetAside(w.slot, 'direct')
      w.resolve(w.slot.setAside ?? where)
    }
  }

  const deliver = async (batch: Waiting[]): Promise<void> => {
    let pending = batch
    if (supervisor.up() && spool.depth().records === 0) {
      const t0 = clock.now()
      try {
        await shipper.ship(
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
        supervisor.markDown(error)
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
    supervisor.recover()
  }

  const flush = (): Promise<void> => {
    if (flushing !== null) return flushing
    if (queue.length === 0) return Promise.resolve()
    flushing = drainQueue()
    return flushing
  }

  /**
   * Resolves once the first queued record has waited `lingerMs`, or at once when the queue holds a full
   * batch or the publisher is closing. Records that came in during a send have waited it already, so
   * under load the next batch goes as the send ends; at a lower rate it waits for more company: fewer,
   * larger produce requests (each costs the client and the broker far more than a record does).
   */
  const lingered = (): Promise<void> | undefined => {
    const first = queue[0]
    if (first === undefined || closed || queue.length >= maxBatchRecords || queuedBytes >= maxBatchBytes)
      return
    const wait = first.queuedAt + lingerMs - clock.now()
    if (wait <= 0) return
    return new Promise<void>((resolve) => {
      const timer = timers.setTimeout(end, wait)
      function end(): void {
        timers.clearTimeout(timer)
        endLinger = null
        resolve()
      }
      endLinger = end
    })
  }

  // One batch in flight at a time: batches reach Kafka (or the spool) in the order they formed.
  const drainQueue = async (): Promise<void> => {
    try {
      while (queue.length > 0) {
        // Awaited only when there is a wait: a batch that can go starts its send in this same tick.
        const waiting = lingered()
        if (waiting !== undefined) await waiting
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

  return {
    publish(record) {
      if (closed)
        return Promise.reject(new IngestError('CLOSED', 'ingest is shutting down', { retryable: true }))
      return new Promise<Durability>((resolve, reject) => {
        const slot = shipper.slotFor(record)
        queue.push({ queuedAt: clock.now(), slot, resolve, reject })
        queuedBytes += frameSize(slot.record)
        if (queue.length >= maxBatchRecords || queuedBytes >= maxBatchBytes) endLinger?.()
        void flush()
      })
    },
    status: () => ({
      kafkaUp: supervisor.up(),
      spool: { ...spool.depth(), maxBytes: spool.maxBytes },
      queued: queue.length,
    }),
    start: supervisor.start,
    whenUp: supervisor.whenUp,
    async close(deadline) {
      closed = true
      endLinger?.()
      await flush()
      // Keep draining until the spool is empty or the deadline passes; then stop the loop.
      const remaining = Math.max(0, deadline - clock.now())
      if (spool.depth().records > 0 && remaining > 0) {
        await new Promise<void>((resolve) => {
          const timer = timers.setTimeout(finish, remaining)
          const poll = (): void => {
            const recovering = supervisor.recovering()
            if (spool.depth().records === 0 || recovering === null) finish()
            else void recovering.then(poll, poll)
          }
          function finish(): void {
            timers.clearTimeout(timer)
            resolve()
          }
          supervisor.recover()
          poll()
        })
      }
      stop.abort()
      await supervisor.recovering()
      await link.close().catch(() => {})
      const spooled = spool.depth().records
      await spool.close()
      return { spooled }
    },
  }
}
