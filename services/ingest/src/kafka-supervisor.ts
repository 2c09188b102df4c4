import { type Backoff, backoffDelay, sleep, type Timers } from '@mixguard/time'
import type { KafkaLink } from './kafka-link.ts'
import type { Shipper } from './kafka-shipper.ts'
import type { PublisherEvent } from './publisher-events.ts'
import type { Spool } from './spool.ts'

export interface KafkaSupervisorOptions {
  link: KafkaLink
  spool: Spool
  timers: Timers
  shipper: Shipper
  /** Sends one batch from the spool (see spool-drainer.ts). */
  drainSpool: () => Promise<void>
  /** Connecting includes making missing topics, which takes longer than a send. */
  connectTimeoutMs: number
  /** Backoff between attempts to reach Kafka again. */
  backoff: Backoff
  /** Shutdown: ends the loop. */
  signal: AbortSignal
  emit: (event: PublisherEvent) => void
}

export interface KafkaSupervisor {
  /** Connected, and Kafka took the last send. */
  up(): boolean
  /** A send failed for Kafka's state: the next record goes to the spool, and recovery starts. */
  markDown(error: unknown): void
  /** Starts the recovery loop unless it runs, Kafka is up with an empty spool, or it is not started. */
  recover(): void
  start(): void
  /** Resolves when Kafka is up, or after `ms` (false). */
  whenUp(ms: number): Promise<boolean>
  /** The running recovery loop, if any. */
  recovering(): Promise<void> | null
}

/**
 * Reconnects to Kafka and drains the spool: a loop that runs while Kafka is not known to be up or the
 * spool holds anything, at most one at a time, backing off between failed attempts.
 */
export function createKafkaSupervisor(options: KafkaSupervisorOptions): KafkaSupervisor {
  const { link, spool, timers, shipper, drainSpool, connectTimeoutMs, backoff, signal, emit } = options
  let kafkaUp = false
  let connected = false
  let recovering: Promise<void> | null = null
  let started = false
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

  const settled = (): boolean => kafkaUp && connected && spool.depth().records === 0

  const recover = (): void => {
    if (recovering !== null || !started || signal.aborted || settled()) return
    recovering = recoveryLoop()
  }

  const recoveryLoop = async (): Promise<void> => {
    let attempt = 0
    try {
      // Suspend once before the first check, so `recovering` is assigned before `finally` clears it.
      await Promise.resolve()
      while (!signal.aborted && !settled()) {
        try {
          if (!connected) {
            await link.reset()
            await shipper.timed(link.connect(), 'connecting to Kafka', connectTimeoutMs)
            connected = true
          }
          if (spool.depth().records > 0) await drainSpool()
          markUp()
          attempt = 0
        } catch (error) {
          markDown(error)
          attempt += 1
          const delayMs = backoffDelay(backoff, attempt)
          emit({ type: 'kafka_retry', attempt, delayMs, error })
          // Shutdown wakes it: the loop then ends on the aborted signal.
          await sleep(delayMs, timers, signal).catch(() => {})
        }
      }
    } finally {
      // Same tick as the loop's last check: a record spooled after it starts a new loop.
      recovering = null
    }
  }

  return {
    up: () => kafkaUp && connected,
    markDown,
    recover,
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
    recovering: () => recovering,
  }
}
