export const configErrorCodes = [
  /** A setting is missing, malformed or unreadable: a configuration bug, never retryable. The message lists every problem. */
  'CONFIG_INVALID',
] as const
export type ConfigErrorCode = (typeof configErrorCodes)[number]

/** Why settings read from the environment cannot be used, with every problem in the message. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError'
  readonly code: ConfigErrorCode
  readonly retryable: boolean

  constructor(code: ConfigErrorCode, message: string, options: { retryable: boolean; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause })
    this.code = code
    this.retryable = options.retryable
  }
}
