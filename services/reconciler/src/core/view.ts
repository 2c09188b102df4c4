import type { AppState } from './model.ts'
import { type Liveness, liveness, roomOf } from './streams.ts'

/**
 * A read-only look at one state with the expensive answers memoised: stream liveness and which streams
 * are in which room. Build it after the input is applied; it does not see later writes.
 */
export interface View {
  state: AppState
  liveness(streamId: string): Liveness | null
  streamsInRoom(roomId: string): string[]
}

export function viewOf(state: AppState): View {
  const memo = new Map<string, Liveness | null>()
  let byRoom: Map<string, string[]> | null = null
  return {
    state,
    liveness(streamId) {
      if (!memo.has(streamId)) memo.set(streamId, liveness(state.streams[streamId], state.rooms))
      return memo.get(streamId) ?? null
    },
    streamsInRoom(roomId) {
      if (byRoom === null) {
        byRoom = new Map()
        for (const stream of Object.values(state.streams)) {
          const room = roomOf(stream, state.rooms)
          if (room === null) continue
          const list = byRoom.get(room)
          if (list) list.push(stream.streamId)
          else byRoom.set(room, [stream.streamId])
        }
        for (const list of byRoom.values()) list.sort()
      }
      return byRoom.get(roomId) ?? []
    },
  }
}
