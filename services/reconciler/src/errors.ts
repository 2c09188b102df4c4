import { CodedError, codedErrorGuard } from '@mixguard/service-kit'

const reconcilerErrorCodes = [
  /**
   * This instance does not hold the partition now (revoked, lost, or suspended while the group
   * rebalances): nothing may be written or executed for it. Not retryable here: its owner takes over.
   */
  'NOT_OWNER',
  /**
   * A ZEGO answer's outcome was not durable within OUTCOME_WAIT_MS: nothing decided on the answer is
   * applied yet, and the answer is tried again after a backoff. Retryable.
   */
  'OUTCOME_PENDING',
  /** The Kafka client lacks what the changelog restore reads with (a kafkajs other than 2.2.4). */
  'KAFKA_CLIENT_UNSUPPORTED',
] as const
export type ReconcilerErrorCode = (typeof reconcilerErrorCodes)[number]

/** Failures the reconciler's parts report to each other; callers switch on `code`. */
export class ReconcilerError extends CodedError<ReconcilerErrorCode> {
  override readonly name = 'ReconcilerError'
}

export const isReconcilerError = codedErrorGuard(ReconcilerError)
