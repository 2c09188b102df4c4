import { randomBytes } from 'node:crypto'
import { SimError, SimErrorCode } from './errors.ts'
import { endTask, key, liveStreamsInRoom, refreshApp, snapshot, type WorldCore } from './world-core.ts'
import {
  type MixTaskInfoData,
  mixTaskInfo,
  type StartAutoMixCommand,
  type StartMixCommand,
  type StartMixData,
  type StopAutoMixCommand,
  type StopMixCommand,
  startAutoMix,
  startMix,
  stopAutoMix,
  stopMix,
} from './world-mix.ts'
import {
  type App,
  type AppInput,
  defaultLifetimeRules,
  type LifetimeRules,
  type MixTask,
  type Room,
  type Stream,
  StreamCloseType,
  type StreamCloseTypeValue,
  type WorldEvent,
  type ZegoResult,
} from './world-types.ts'

export interface PublishCommand {
  appId: number
  roomId: string
  streamId: string
  userId: string
  userName?: string | undefined
}

export interface UnpublishCommand {
  appId: number
  streamId: string
  /** ZEGO's stream_close `type`; default 0 (normal stop). */
  type?: StreamCloseTypeValue | undefined
}

export interface ReconnectCommand {
  appId: number
  streamId: string
}

export interface CloseRoomCommand {
  appId: number
  roomId: string
  /** room_close `close_reason`: 0 normal, 1 heartbeat timeout, 2 offline, 3 kicked. */
  reason?: number | undefined
}

export type WorldListener = (event: WorldEvent) => void

/**
 * The simulated ZEGO: apps, rooms, streams and mix tasks. Every operation takes `now` (simulated ms)
 * and reads no clock; deadlines are data (`nextDeadline`) and `advance(now)` fires the due ones.
 * Whoever drives the world (the simulator) arms one timer for the next deadline.
 */
export interface World {
  readonly rules: LifetimeRules
  subscribe(listener: WorldListener): () => void

  addApp(input: AppInput): App
  updateApp(appId: number, patch: Partial<Omit<App, 'appId'>>): App
  app(appId: number): App | undefined
  apps(): App[]

  publish(cmd: PublishCommand, now: number): Stream
  unpublish(cmd: UnpublishCommand, now: number): Stream
  /** A publisher dropping and coming back: a live stream blips (close type 4, then recreate=1); a closed one republishes. */
  reconnect(cmd: ReconnectCommand, now: number): Stream
  closeRoom(cmd: CloseRoomCommand, now: number): Room
  streams(appId?: number): Stream[]
  rooms(appId?: number): Room[]
  liveStreamsInRoom(appId: number, roomId: string): Stream[]

  startMix(appId: number, cmd: StartMixCommand, now: number): ZegoResult<StartMixData>
  stopMix(appId: number, cmd: StopMixCommand, now: number): ZegoResult<undefined>
  startAutoMix(appId: number, cmd: StartAutoMixCommand, now: number): ZegoResult<StartMixData>
  stopAutoMix(appId: number, cmd: StopAutoMixCommand, now: number): ZegoResult<undefined>
  mixTaskInfo(appId: number, taskId: string, now: number): ZegoResult<MixTaskInfoData>
  /** Ends a task abnormally (the mixer process died): ZEGO documents no mix_stop for that. */
  crashTask(appId: number, taskId: string, now: number): MixTask
  runningTask(appId: number, taskId: string): MixTask | undefined
  /** Every task instance that ever ran, oldest first (copies). */
  tasks(appId?: number): MixTask[]

  nextDeadline(): number | undefined
  advance(now: number): void
}

const RECONNECTABLE: ReadonlySet<number> = new Set([
  StreamCloseType.HeartbeatTimeout,
  StreamCloseType.SameUserRelogin,
  StreamCloseType.TcpDisconnect,
])

const secret = (): string => randomBytes(16).toString('hex')

export function createWorld(options: { rules?: Partial<LifetimeRules> } = {}): World {
  const listeners = new Set<WorldListener>()
  const core: WorldCore = {
    rules: { ...defaultLifetimeRules, ...options.rules },
    apps: new Map(),
    rooms: new Map(),
    streams: new Map(),
    running: new Map(),
    history: [],
    counters: { instance: 0, sid: 0, roomSession: 0 },
    mixSeq: new Map(),
    emit(event) {
      for (const l of listeners) l(event)
    },
  }

  const requireApp = (appId: number): App => {
    const app = core.apps.get(appId)
    if (app === undefined) throw new SimError(SimErrorCode.AppNotFound, `no app ${appId}`)
    return app
  }

  const openRoom = (appId: number, roomId: string, now: number): Room => {
    const k = key(appId, roomId)
    let room = core.rooms.get(k)
    if (room === undefined) {
      core.counters.roomSession += 1
      room = {
        appId,
        roomId,
        sessionId: String(7_100_000_000_000 + core.counters.roomSession),
        createdAt: now,
        streamSeq: 0,
        nextStreamNumber: 1,
      }
      core.rooms.set(k, room)
    }
    return room
  }

  const closeStream = (app: App, stream: Stream, type: StreamCloseTypeValue, now: number): void => {
    const room = core.rooms.get(key(app.appId, stream.roomId))
    const streamSeq = room ? ++room.streamSeq : 0
    stream.live = false
    stream.closedAt = now
    stream.closeType = type
    stream.reconnectUntil = RECONNECTABLE.has(type) ? now + core.rules.reconnectWindowSec * 1000 : undefined
    core.emit({ type: 'stream_closed', at: now, app, stream: { ...stream }, closeType: type, streamSeq })
  }

  const publish = (cmd: PublishCommand, now: number): Stream => {
    const app = requireApp(cmd.appId)
    const k = key(cmd.appId, cmd.streamId)
    const previous = core.streams.get(k)
    if (previous?.live) throw new SimError(SimErrorCode.StreamLive, `stream ${cmd.streamId} is already live`)
    const room = openRoom(cmd.appId, cmd.roomId, now)
    // Inside the reconnect window the server keeps the stream: same stream_sid, `recreate=1`.
    const recreate =
      previous !== undefined &&
      previous.reconnectUntil !== undefined &&
      now <= previous.reconnectUntil &&
      previous.roomSessionId === room.sessionId
    if (!recreate) core.counters.sid += 1
    const stream: Stream = {
      appId: cmd.appId,
      streamId: cmd.streamId,
      streamSid: recreate && previous ? previous.streamSid : `sid-${cmd.appId}-${core.counters.sid}`,
      roomId: cmd.roomId,
      roomSessionId: room.sessionId,
      userId: cmd.userId,
      userName: cmd.userName ?? cmd.userId,
      streamNumberId: recreate && previous ? previous.streamNumberId : room.nextStreamNumber++,
      live: true,
      createdAt: now,
      closedAt: undefined,
      closeType: undefined,
      reconnectUntil: undefined,
    }
    core.streams.set(k, stream)
    const streamSeq = ++room.streamSeq
    core.emit({ type: 'stream_created', at: now, app, stream: { ...stream }, recreate, streamSeq })
    refreshApp(core, cmd.appId, now)
    return { ...stream }
  }

  const unpublish = (cmd: UnpublishCommand, now: number): Stream => {
    const app = requireApp(cmd.appId)
    const stream = core.streams.get(key(cmd.appId, cmd.streamId))
    if (!stream?.live) throw new SimError(SimErrorCode.StreamNotFound, `stream ${cmd.streamId} is not live`)
    closeStream(app, stream, cmd.type ?? StreamCloseType.Normal, now)
    refreshApp(core, cmd.appId, now)
    return { ...stream }
  }

  const withApp = <T>(appId: number, fn: (app: App) => T): T => fn(requireApp(appId))

  return {
    rules: core.rules,
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },

    addApp(input) {
      if (core.apps.has(input.appId)) throw new SimError(SimErrorCode.AppExists, `app ${input.appId} exists`)
      const app: App = {
        appId: input.appId,
        serverSecret: input.serverSecret ?? secret(),
        callbackSecret: input.callbackSecret ?? secret(),
        callbackUrl: input.callbackUrl,
        callbackEncoding: input.callbackEncoding ?? 'json',
        sequenceFencing: input.sequenceFencing ?? false,
        taskOwnership: input.taskOwnership ?? false,
        mixEnabled: input.mixEnabled ?? true,
      }
      core.apps.set(app.appId, app)
      return { ...app }
    },
    updateApp(appId, patch) {
      const app = requireApp(appId)
      for (const [k, v] of Object.entries(patch))
        if (v !== undefined || k === 'callbackUrl') Object.assign(app, { [k]: v })
      return { ...app }
    },
    app: (appId) => {
      const app = core.apps.get(appId)
      return app && { ...app }
    },
    apps: () => [...core.apps.values()].map((a) => ({ ...a })),

    publish,
    unpublish,
    reconnect(cmd, now) {
      const stream = core.streams.get(key(cmd.appId, cmd.streamId))
      if (stream === undefined)
        throw new SimError(SimErrorCode.StreamNotFound, `stream ${cmd.streamId} never published`)
      const again = {
        appId: cmd.appId,
        roomId: stream.roomId,
        streamId: stream.streamId,
        userId: stream.userId,
      }
      if (stream.live)
        unpublish({ appId: cmd.appId, streamId: cmd.streamId, type: StreamCloseType.TcpDisconnect }, now)
      return publish({ ...again, userName: stream.userName }, now)
    },
    closeRoom(cmd, now) {
      const app = requireApp(cmd.appId)
      const room = core.rooms.get(key(cmd.appId, cmd.roomId))
      if (room === undefined) throw new SimError(SimErrorCode.RoomNotFound, `room ${cmd.roomId} is not open`)
      for (const s of liveStreamsInRoom(core, cmd.appId, cmd.roomId))
        closeStream(app, s, StreamCloseType.RoomCleared, now)
      core.rooms.delete(key(cmd.appId, cmd.roomId))
      core.emit({ type: 'room_closed', at: now, app, room: { ...room }, reason: cmd.reason ?? 0 })
      // Auto tasks end with their room; StartMix tasks (TargetRoom included) do not.
      for (const t of [...core.running.values()])
        if (t.appId === cmd.appId && t.kind === 'auto' && t.roomId === cmd.roomId)
          endTask(core, t, now, 'room_gone')
      refreshApp(core, cmd.appId, now)
      return { ...room }
    },
    streams: (appId) =>
      [...core.streams.values()]
        .filter((s) => appId === undefined || s.appId === appId)
        .map((s) => ({ ...s })),
    rooms: (appId) =>
      [...core.rooms.values()].filter((r) => appId === undefined || r.appId === appId).map((r) => ({ ...r })),
    liveStreamsInRoom: (appId, roomId) => liveStreamsInRoom(core, appId, roomId).map((s) => ({ ...s })),

    startMix: (appId, cmd, now) => withApp(appId, (app) => startMix(core, app, cmd, now)),
    stopMix: (appId, cmd, now) => withApp(appId, (app) => stopMix(core, app, cmd, now)),
    startAutoMix: (appId, cmd, now) => withApp(appId, (app) => startAutoMix(core, app, cmd, now)),
    stopAutoMix: (appId, cmd, now) => withApp(appId, (app) => stopAutoMix(core, app, cmd, now)),
    mixTaskInfo: (appId, taskId, now) => withApp(appId, (app) => mixTaskInfo(core, app, taskId, now)),
    crashTask(appId, taskId, now) {
      requireApp(appId)
      const task = core.running.get(key(appId, taskId))
      if (task === undefined) throw new SimError(SimErrorCode.TaskNotFound, `task ${taskId} is not running`)
      endTask(core, task, now, 'abnormal')
      return snapshot(task)
    },
    runningTask: (appId, taskId) => {
      const t = core.running.get(key(appId, taskId))
      return t && snapshot(t)
    },
    tasks: (appId) => core.history.filter((t) => appId === undefined || t.appId === appId).map(snapshot),

    nextDeadline() {
      let next: number | undefined
      for (const t of core.running.values())
        if (t.idleDeadline !== undefined && (next === undefined || t.idleDeadline < next))
          next = t.idleDeadline
      return next
    },
    advance(now) {
      for (;;) {
        let due: MixTask | undefined
        for (const t of core.running.values())
          if (
            t.idleDeadline !== undefined &&
            t.idleDeadline <= now &&
            (due === undefined || t.idleDeadline < (due.idleDeadline ?? 0))
          )
            due = t
        if (due?.idleDeadline === undefined) return
        // The task ends at its deadline, even if the driver wakes a little later.
        endTask(core, due, due.idleDeadline, 'idle')
      }
    },
  }
}
