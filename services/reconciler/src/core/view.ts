import { type Liveness, liveness, roomOf } from './liveness.ts'
import type { AppState } from './model.ts'
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
  const memo = new Map<string, Liveness | null>()
  const rooms = new Map<string, string | null>()
  let byRoom: Map<string, string[]> | null = null
  let pending: number | null = null
  return {
    state,
    liveness(streamId) {
      if (!memo.has(streamId)) memo.set(streamId, liveness(tget(state.streams, streamId), state.rooms))
      return memo.get(streamId) ?? null
    },
    roomOf(streamId) {
      if (!rooms.has(streamId)) {
        const stream = tget(state.streams, streamId)
        rooms.set(streamId, stream === undefined ? null : roomOf(stream, state.rooms))
      }
      return rooms.get(streamId) ?? null
    },
    streamsInRoom(roomId) {
      byRoom ??= new Map()
      let list = byRoom.get(roomId)
      if (list === undefined) {
        // Only a stream naming the room can be in it (room-candidates.ts): no scan of the app's streams.
        list = streamsNaming(state.streams, roomId).filter((streamId) => {
          const stream = tget(state.streams, streamId)
          return stream !== undefined && roomOf(stream, state.rooms) === roomId
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
