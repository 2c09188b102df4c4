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
  return new StateView(state)
}

/**
 * The View of one state. A class, not closures: a view is made per input that wakes a task, and its
 * memos are made on first use (most inputs build a view and ask it little or nothing).
 */
class StateView implements View {
  readonly state: AppState
  #liveness: Map<string, Liveness | null> | null = null
  /** The callback view of a stream, which both its liveness and its room are read from. */
  #callbacks: Map<string, Effective | null> | null = null
  #rooms: Map<string, string | null> | null = null
  #byRoom: Map<string, string[]> | null = null
  #pending: number | null = null

  constructor(state: AppState) {
    this.state = state
  }

  #callbacksOf(stream: StreamRecord): Effective | null {
    this.#callbacks ??= new Map()
    let cb = this.#callbacks.get(stream.streamId)
    if (cb === undefined) {
      cb = callbackView(stream, this.state.rooms)
      this.#callbacks.set(stream.streamId, cb)
    }
    return cb
  }

  liveness(streamId: string): Liveness | null {
    this.#liveness ??= new Map()
    let l = this.#liveness.get(streamId)
    if (l === undefined) {
      const stream = tget(this.state.streams, streamId)
      l = stream === undefined ? null : livenessFrom(stream, this.#callbacksOf(stream))
      this.#liveness.set(streamId, l)
    }
    return l
  }

  roomOf(streamId: string): string | null {
    this.#rooms ??= new Map()
    let room = this.#rooms.get(streamId)
    if (room === undefined) {
      const stream = tget(this.state.streams, streamId)
      room = stream === undefined ? null : roomOf(stream, this.state.rooms, this.#callbacksOf(stream))
      this.#rooms.set(streamId, room)
    }
    return room
  }

  streamsInRoom(roomId: string): string[] {
    this.#byRoom ??= new Map()
    let list = this.#byRoom.get(roomId)
    if (list === undefined) {
      const { streams, rooms } = this.state
      // Only a stream naming the room can be in it (room-candidates.ts): no scan of the app's streams.
      list = streamsNaming(streams, roomId).filter((streamId) => {
        const stream = tget(streams, streamId)
        return stream !== undefined && roomOf(stream, rooms, this.#callbacksOf(stream)) === roomId
      })
      list.sort()
      this.#byRoom.set(roomId, list)
    }
    return list
  }

  listsPending(): number {
    if (this.#pending === null) {
      let pending = 0
      for (const room of tvalues(this.state.rooms))
        if (room.pendingCheck !== null && room.pendingCheck.command?.lane !== 'idle') pending++
      this.#pending = pending
    }
    return this.#pending
  }
}
