import { CodedError, codedErrorGuard } from '@mixguard/service-kit'

const reconcilerErrorCodes = [
  /**
   * This instance does not hold the partition now (revoked, lost, or suspended while the group
   * rebalances): nothing may be written or executed for it. Not retryable here: its owner takes over.
   */
  'NOT_OWNER',
] as const
export type ReconcilerErrorCode = (typeof reconcilerErrorCodes)[number]

/** Failures the reconciler's parts report to each other; callers switch on `code`. */
export class ReconcilerError extends CodedError<ReconcilerErrorCode> {
  override readonly name = 'ReconcilerError'
}

export const isReconcilerError = codedErrorGuard(ReconcilerError)
