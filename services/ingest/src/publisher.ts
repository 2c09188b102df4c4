import type { Clock, Timers } from '@mixguard/zego-api'
import { IngestError } from './errors.ts'
import type { KafkaLink } from './kafka-link.ts'
import type { Spool } from './spool.ts'
import type { SpoolRecord } from './spool-format.ts'

/** Where a record was made durable before `publish` resolved. */
export type Durability = 'kafka' | 'spool'

export type PublisherEvent =
  | { type: 'produced'; records: number; ms: number }
  | { type: 'produce_failed'; records: number; ms: number; error: unknown }
  | { type: 'spooled'; records: number }
  | { type: 'drained'; records: number; ms: number }
  | { type: 'kafka_up' }
  | { type: 'kafka_down'; error: unknown }
  /** An attempt to reach Kafka again failed; the next one comes after `delayMs`. */
  | { type: 'kafka_retry'; attempt: number; delayMs: number; error: unknown }

export interface PublisherStatus {
  kafkaUp: boolean
  spool: { records: number; bytes: number; maxBytes: number }
  queued: number
}

export interface Publisher {
  /**
   * Resolves once the record is durable: acknowledged by Kafka with acks = all, or fsynced in the
   * spool. Rejects with SPOOL_FULL, SPOOL_WRITE_FAILED or CLOSED: then nothing was stored.
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
  record: SpoolRecord
  resolve: (d: Durability) => void
  reject: (e: unknown) => void
}

/**
 * Micro-batching in front of Kafka, with the spool behind it. Records queue up while a batch is in
 * flight (or for `lingerMs`), then go as one request. While Kafka is down, or while anything older
 * waits in the spool, batches go to the spool, so nothing newer reaches Kafka before something older:
 * a background loop drains the spool in order once Kafka answers again.
 */
export function createPublisher(options: PublisherOptions): Publisher {
  const { link, spool, clock, timers, lingerMs, maxBatchRecords, sendTimeoutMs } = options
  const retryMinMs = options.retryMinMs ?? 200
  const retryMaxMs = options.retryMaxMs ?? 5_000
  const connectTimeoutMs = options.connectTimeoutMs ?? 15_000
  const emit = options.onEvent ?? (() => {})
  let queue: Waiting[] = []
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
      const stopped = (): void => fail(new IngestError('CLOSED', `${what} was cut short by shutdown`))
      const timer = timers.setTimeout(
        () => fail(new IngestError('KAFKA_TIMEOUT', `${what} took longer than ${ms} ms`)),
        ms,
      )
      if (stop.signal.aborted) stopped()
      else stop.signal.addEventListener('abort', stopped, { once: true })
      work.then(resolve, reject).finally(() => {
        timers.clearTimeout(timer)
        stop.signal.removeEventListener('abort', stopped)
      })
    })

  const deliver = async (batch: Waiting[]): Promise<void> => {
    const records = batch.map((w) => w.record)
    if (kafkaUp && connected && spool.depth().records === 0) {
      const t0 = clock.now()
      try {
        await timed(link.send(records), 'a Kafka send')
        emit({ type: 'produced', records: records.length, ms: clock.now() - t0 })
        for (const w of batch) w.resolve('kafka')
        return
      } catch (error) {
        // The send may still land later: then the records are on Kafka twice, with one event id.
        emit({ type: 'produce_failed', records: records.length, ms: clock.now() - t0, error })
        markDown(error)
      }
    }
    const fit = spool.fits(records)
    const refused = batch.slice(fit)
    try {
      await spool.append(records.slice(0, fit))
      emit({ type: 'spooled', records: fit })
      for (const w of batch.slice(0, fit)) w.resolve('spool')
    } catch (error) {
      for (const w of batch.slice(0, fit)) w.reject(error)
    }
    if (refused.length > 0) {
      const full = new IngestError(
        'SPOOL_FULL',
        `the spool is full (${spool.depth().bytes} of ${spool.maxBytes} bytes)`,
        {
          retryAfterMs: 1000,
        },
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
        const batch = queue.slice(0, maxBatchRecords)
        queue = queue.slice(batch.length)
        await deliver(batch)
      }
    } finally {
      // Cleared in the same tick as the last check of the queue, so a record queued after it starts
      // a new flush instead of waiting for one that has ended.
      flushing = null
    }
  }

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stop.signal.aborted) return resolve()
      const timer = timers.setTimeout(done, ms)
      function done(): void {
        timers.clearTimeout(timer)
        stop.signal.removeEventListener('abort', done)
        resolve()
      }
      stop.signal.addEventListener('abort', done, { once: true })
    })

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
          if (spool.depth().records > 0) {
            const records = await spool.peek(maxBatchRecords)
            const t0 = clock.now()
            await timed(link.send(records), 'a Kafka send from the spool')
            await spool.commit(records.length)
            emit({ type: 'drained', records: records.length, ms: clock.now() - t0 })
          }
          markUp()
          attempt = 0
        } catch (error) {
          markDown(error)
          attempt += 1
          const delayMs = Math.min(retryMinMs * 2 ** (attempt - 1), retryMaxMs)
          emit({ type: 'kafka_retry', attempt, delayMs, error })
          await sleep(delayMs)
        }
      }
    } finally {
      // Same tick as the loop's last check: a record spooled after it starts a new loop.
      recovering = null
    }
  }

  return {
    publish(record) {
      if (closed) return Promise.reject(new IngestError('CLOSED', 'ingest is shutting down'))
      return new Promise<Durability>((resolve, reject) => {
        queue.push({ record, resolve, reject })
        if (queue.length >= maxBatchRecords || lingerMs === 0) void flush()
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
