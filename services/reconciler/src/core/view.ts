import { callbackView, type Effective, type Liveness, livenessFrom, roomOf } from './liveness.ts'
import type { AppState, StreamRecord } from './model.ts'
import { streamsNaming } from './room-candidates.ts'
import { tget, tvalues } from './table.ts'

/**
 * A read-only look at one state with the expensive answers memoised: stream liveness and which streams
 * are in which room. Build it after the input is applied; it does not see later writes.
 */
export interface View {
  state: AppState
  liveness(streamId: string): Liveness | null
  roomOf(streamId: string): string | null
  streamsInRoom(roomId: string): string[]
  /** Stream lists asked and not yet answered or failed, but the room sweep's (which go last). */
  listsPending(): number
}

export function viewOf(state: AppState): View {
  // Made on first use: most inputs build a view and ask it little or nothing.
  let memo: Map<string, Liveness | null> | null = null
  // The callback view of a stream, which both its liveness and its room are read from.
  let callbacks: Map<string, Effective | null> | null = null
  const callbacksOf = (stream: StreamRecord): Effective | null => {
    callbacks ??= new Map()
    let cb = callbacks.get(stream.streamId)
    if (cb === undefined) {
      cb = callbackView(stream, state.rooms)
      callbacks.set(stream.streamId, cb)
    }
    return cb
  }
  let rooms: Map<string, string | null> | null = null
  let byRoom: Map<string, string[]> | null = null
  let pending: number | null = null
  return {
    state,
    liveness(streamId) {
      memo ??= new Map()
      let l = memo.get(streamId)
      if (l === undefined) {
        const stream = tget(state.streams, streamId)
        l = stream === undefined ? null : livenessFrom(stream, callbacksOf(stream))
        memo.set(streamId, l)
      }
      return l
    },
    roomOf(streamId) {
      rooms ??= new Map()
      let room = rooms.get(streamId)
      if (room === undefined) {
        const stream = tget(state.streams, streamId)
        room = stream === undefined ? null : roomOf(stream, state.rooms, callbacksOf(stream))
        rooms.set(streamId, room)
      }
      return room
    },
    streamsInRoom(roomId) {
      byRoom ??= new Map()
      let list = byRoom.get(roomId)
      if (list === undefined) {
        // Only a stream naming the room can be in it (room-candidates.ts): no scan of the app's streams.
        list = streamsNaming(state.streams, roomId).filter((streamId) => {
          const stream = tget(state.streams, streamId)
          return stream !== undefined && roomOf(stream, state.rooms, callbacksOf(stream)) === roomId
        })
        list.sort()
        byRoom.set(roomId, list)
      }
      return list
    },
    listsPending() {
      if (pending === null) {
        pending = 0
        for (const room of tvalues(state.rooms))
          if (room.pendingCheck !== null && room.pendingCheck.command?.lane !== 'idle') pending++
      }
      return pending
    },
  }
}
