/** Errors of the simulator's own control surface (never ZEGO answers: those are numeric `Code`s). */
export const SimErrorCode = {
  AppNotFound: 'SIM_APP_NOT_FOUND',
  AppExists: 'SIM_APP_EXISTS',
  StreamLive: 'SIM_STREAM_LIVE',
  StreamNotFound: 'SIM_STREAM_NOT_FOUND',
  RoomNotFound: 'SIM_ROOM_NOT_FOUND',
  TaskNotFound: 'SIM_TASK_NOT_FOUND',
  BadRequest: 'SIM_BAD_REQUEST',
  ClockNotManual: 'SIM_CLOCK_NOT_MANUAL',
} as const

export type SimErrorCodeValue = (typeof SimErrorCode)[keyof typeof SimErrorCode]

export class SimError extends Error {
  override readonly name = 'SimError'
  readonly code: SimErrorCodeValue
  readonly retryable = false

  constructor(code: SimErrorCodeValue, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** HTTP status for the control surface. */
export function simErrorStatus(code: SimErrorCodeValue): number {
  switch (code) {
    case SimErrorCode.AppNotFound:
    case SimErrorCode.StreamNotFound:
    case SimErrorCode.RoomNotFound:
    case SimErrorCode.TaskNotFound:
      return 404
    case SimErrorCode.AppExists:
    case SimErrorCode.StreamLive:
      return 409
    case SimErrorCode.BadRequest:
    case SimErrorCode.ClockNotManual:
      return 400
  }
}
