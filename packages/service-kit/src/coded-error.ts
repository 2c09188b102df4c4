/**
 * The shape of each service's own error class (`IngestError`, `ReconcilerError`): a stable `code` from
 * the service's `as const` list, whether a retry can help (and after how long, when known) as data, and
 * the `cause` chained. Callers switch on `code`, never on the message.
 */
export class CodedError<Code extends string> extends Error {
  readonly code: Code
  readonly retryable: boolean
  readonly retryAfterMs: number | undefined

  constructor(
    code: Code,
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; cause?: unknown },
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable
    this.retryAfterMs = options.retryAfterMs
  }
}

/**
 * The type guard of one such class, optionally for one code: `isIngestError(error, 'SPOOL_FULL')`.
 * Only instances of the class pass: a plain object with the same fields is not one of its errors.
 */
export function codedErrorGuard<E extends CodedError<string>>(
  errorClass: abstract new (...args: never[]) => E,
): (error: unknown, code?: E['code']) => error is E {
  return (error, code): error is E =>
    error instanceof errorClass && (code === undefined || error.code === code)
}
