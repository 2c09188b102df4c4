import { SimError, SimErrorCode } from './errors.ts'
import { key, refreshApp, type WorldCore } from './world-core.ts'
import {
  type App,
  type Room,
  type Stream,
  StreamCloseType,
  type StreamCloseTypeValue,
} from './world-types.ts'

/** Rooms and streams (docs/zego.md §7.4–7.5, §8): sessions, stream_seq, close types, reconnects. */

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

/** Close types after which an SDK reconnect inside the window keeps the server stream. */
const RECONNECTABLE: ReadonlySet<number> = new Set([
  StreamCloseType.HeartbeatTimeout,
  StreamCloseType.SameUserRelogin,
  StreamCloseType.TcpDisconnect,
])

function openRoom(core: WorldCore, appId: number, roomId: string, now: number): Room {
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

export function closeStream(
  core: WorldCore,
  app: App,
  stream: Stream,
  type: StreamCloseTypeValue,
  now: number,
): void {
  const room = core.rooms.get(key(app.appId, stream.roomId))
  const streamSeq = room ? ++room.streamSeq : 0
  stream.live = false
  stream.closedAt = now
  stream.closeType = type
  stream.reconnectUntil = RECONNECTABLE.has(type) ? now + core.rules.reconnectWindowSec * 1000 : undefined
  core.emit({ type: 'stream_closed', at: now, app, stream: { ...stream }, closeType: type, streamSeq })
}

export function publish(core: WorldCore, app: App, cmd: PublishCommand, now: number): Stream {
  const k = key(cmd.appId, cmd.streamId)
  const previous = core.streams.get(k)
  if (previous?.live) throw new SimError(SimErrorCode.StreamLive, `stream ${cmd.streamId} is already live`)
  const room = openRoom(core, app.appId, cmd.roomId, now)
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

export function unpublish(core: WorldCore, app: App, cmd: UnpublishCommand, now: number): Stream {
  const stream = core.streams.get(key(cmd.appId, cmd.streamId))
  if (!stream?.live) throw new SimError(SimErrorCode.StreamNotFound, `stream ${cmd.streamId} is not live`)
  closeStream(core, app, stream, cmd.type ?? StreamCloseType.Normal, now)
  refreshApp(core, cmd.appId, now)
  return { ...stream }
}
