import type { Rejection } from './set-aside.ts'

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
