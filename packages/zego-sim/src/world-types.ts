/** The simulated ZEGO world: its data and the events it emits. All times are simulated epoch ms. */

export type CallbackEncoding = 'json' | 'form'

export interface App {
  appId: number
  serverSecret: string
  callbackSecret: string
  /** Where ZEGO posts callbacks; none → callbacks are not sent. */
  callbackUrl: string | undefined
  callbackEncoding: CallbackEncoding
  /** ZEGO's "timing/sequence control" (enabled by support): `Sequence` required and must rise per task. */
  sequenceFencing: boolean
  /** ZEGO's "task ownership" (enabled by support): only the initiator UserId may update or stop a task. */
  taskOwnership: boolean
  /** Stream mixing enabled for the AppId (else StartMix answers 110200157). */
  mixEnabled: boolean
}

export type AppInput = Pick<App, 'appId'> & Partial<Omit<App, 'appId'>>

export interface Room {
  appId: number
  roomId: string
  /** New for each lifetime of the room (as ZEGO's `room_session_id`). */
  sessionId: string
  createdAt: number
  /** Room stream-list change counter (`stream_seq`), +1 on each create/close. */
  streamSeq: number
  nextStreamNumber: number
}

/** Stream close `type` values ZEGO documents for `stream_close`. */
export const StreamCloseType = {
  Normal: 0,
  HeartbeatTimeout: 1,
  SameUserRelogin: 2,
  Kicked: 3,
  TcpDisconnect: 4,
  RoomCleared: 5,
  ServerDeleteStream: 100,
} as const
export type StreamCloseTypeValue = (typeof StreamCloseType)[keyof typeof StreamCloseType]

export interface Stream {
  appId: number
  streamId: string
  /** Server-side stream instance id; survives a reconnect inside the window (`recreate=1`). */
  streamSid: string
  roomId: string
  roomSessionId: string
  userId: string
  userName: string
  streamNumberId: number
  live: boolean
  createdAt: number
  closedAt: number | undefined
  closeType: StreamCloseTypeValue | undefined
  /** Until when an abnormally closed stream may come back as the same server stream. */
  reconnectUntil: number | undefined
}

export type MixInputRef = { kind: 'stream'; streamId: string } | { kind: 'url'; url: string }
export interface MixOutputRef {
  streamId: string | undefined
  url: string | undefined
}

type TaskKind = 'mix' | 'auto'
export type TaskEndReason = 'stopped' | 'idle' | 'room_gone' | 'abnormal'

export interface MixTask {
  appId: number
  taskId: string
  kind: TaskKind
  /** World-wide counter: one TaskId can be reused after its task ended. */
  instance: number
  userId: string
  roomId: string
  /** Explicit inputs (StartMix), or the extra inputs of an auto task (its room's streams are implicit). */
  inputs: MixInputRef[]
  outputs: MixOutputRef[]
  maxIdleMs: number
  sequence: number | undefined
  startedAt: number
  updatedAt: number
  running: boolean
  endedAt: number | undefined
  endReason: TaskEndReason | undefined
  /** When the task last lost its last live input; cleared when an input returns. */
  idleSince: number | undefined
  /** idleSince + maxIdle: the task ends then unless an input returns. */
  idleDeadline: number | undefined
}

export type TaskSnapshot = Readonly<MixTask>

export type WorldEvent =
  | { type: 'stream_created'; at: number; app: App; stream: Stream; recreate: boolean; streamSeq: number }
  | { type: 'stream_closed'; at: number; app: App; stream: Stream; closeType: number; streamSeq: number }
  | { type: 'room_closed'; at: number; app: App; room: Room; reason: number }
  | { type: 'task_started'; at: number; app: App; task: TaskSnapshot; seq: number }
  | { type: 'task_updated'; at: number; app: App; task: TaskSnapshot }
  | { type: 'task_idle'; at: number; app: App; task: TaskSnapshot }
  | { type: 'task_active'; at: number; app: App; task: TaskSnapshot }
  | { type: 'task_ended'; at: number; app: App; task: TaskSnapshot; reason: TaskEndReason; seq: number }

/** A ZEGO answer from the world: Code 0 with data, or a ZEGO return code with a message. */
export type ZegoResult<T> = { ok: true; data: T } | { ok: false; code: number; message: string }

export interface LifetimeRules {
  /** StartMix's MaxIdleTime default (s). */
  defaultMaxIdleSec: number
  /** Range ZEGO accepts for MaxIdleTime (s). */
  minMaxIdleSec: number
  maxMaxIdleSec: number
  /** An SDK reconnect inside this window keeps the server stream (`recreate=1`). */
  reconnectWindowSec: number
  /** Auto-mix tasks end after their inputs have been absent this long (s). */
  autoMixIdleSec: number
  maxInputs: number
  maxOutputs: number
}

export const defaultLifetimeRules: LifetimeRules = {
  defaultMaxIdleSec: 90,
  minMaxIdleSec: 90,
  maxMaxIdleSec: 14_400,
  reconnectWindowSec: 90,
  autoMixIdleSec: 90,
  maxInputs: 9,
  // The docs say both "up to 4 resolutions" and "default upper limit of 3" (110200178): we take the code's 3.
  maxOutputs: 3,
}
