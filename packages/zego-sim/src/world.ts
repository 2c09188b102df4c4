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
  closeStream,
  type PublishCommand,
  publish,
  type UnpublishCommand,
  unpublish,
} from './world-streams.ts'
import {
  type App,
  type AppInput,
  defaultLifetimeRules,
  type LifetimeRules,
  type MixTask,
  type Room,
  type Stream,
  StreamCloseType,
  type WorldEvent,
  type ZegoResult,
} from './world-types.ts'

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

export type { PublishCommand, UnpublishCommand }

type WorldListener = (event: WorldEvent) => void

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

    publish: (cmd, now) => publish(core, requireApp(cmd.appId), cmd, now),
    unpublish: (cmd, now) => unpublish(core, requireApp(cmd.appId), cmd, now),
    reconnect(cmd, now) {
      const stream = core.streams.get(key(cmd.appId, cmd.streamId))
      if (stream === undefined)
        throw new SimError(SimErrorCode.StreamNotFound, `stream ${cmd.streamId} never published`)
      const app = requireApp(cmd.appId)
      const { roomId, streamId, userId, userName } = stream
      if (stream.live)
        unpublish(core, app, { appId: app.appId, streamId, type: StreamCloseType.TcpDisconnect }, now)
      return publish(core, app, { appId: app.appId, roomId, streamId, userId, userName }, now)
    },
    closeRoom(cmd, now) {
      const app = requireApp(cmd.appId)
      const room = core.rooms.get(key(cmd.appId, cmd.roomId))
      if (room === undefined) throw new SimError(SimErrorCode.RoomNotFound, `room ${cmd.roomId} is not open`)
      for (const s of liveStreamsInRoom(core, cmd.appId, cmd.roomId))
        closeStream(core, app, s, StreamCloseType.RoomCleared, now)
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
