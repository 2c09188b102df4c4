import { CodedError, codedErrorGuard } from '@mixguard/service-kit'

export const ingestErrorCodes = [
  /** The spool cannot hold more records: answer 503 so ZEGO retries later. */
  'SPOOL_FULL',
  /** Writing or syncing the spool failed (disk error): nothing was acknowledged. */
  'SPOOL_WRITE_FAILED',
  /** The spool directory holds something that is not a spool, or cannot be opened. */
  'SPOOL_OPEN_FAILED',
  /** A spooled record could not be read back (its segment is gone or changed since it was written). */
  'SPOOL_READ_FAILED',
  /** The publisher or the spool is closed (shutdown): the record was not taken. */
  'CLOSED',
  /** A Kafka send or connect did not finish in time. */
  'KAFKA_TIMEOUT',
  /** The Kafka link has no connected producer (never connected, or reset while connecting). */
  'KAFKA_NOT_CONNECTED',
  /**
   * Kafka refused a record for what it is (too large, invalid), not for its own state: sending it
   * again can never succeed. Not retryable.
   */
  'RECORD_REJECTED',
  /**
   * The nonce store (Redis) did not answer in time or is unreachable: the callback cannot be checked
   * for replay, so it is refused with 503 (ZEGO retries), never accepted unchecked.
   */
  'NONCE_STORE_UNAVAILABLE',
] as const
export type IngestErrorCode = (typeof ingestErrorCodes)[number]

/** Every failure ingest's parts report to each other; callers switch on `code`. */
export class IngestError extends CodedError<IngestErrorCode> {
  override readonly name = 'IngestError'
}

export const isIngestError = codedErrorGuard(IngestError)
