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
  /** Per stream id, what was asked of it: one map for the three answers a stream can be asked for. */
  #streams: Map<string, StreamMemo> | null = null
  #byRoom: Map<string, string[]> | null = null
  #pending: number | null = null

  constructor(state: AppState) {
    this.state = state
  }

  #memoOf(streamId: string): StreamMemo {
    this.#streams ??= new Map()
    let memo = this.#streams.get(streamId)
    if (memo === undefined) {
      memo = {
        stream: tget(this.state.streams, streamId),
        callbacks: undefined,
        liveness: undefined,
        room: undefined,
      }
      this.#streams.set(streamId, memo)
    }
    return memo
  }

  /** The callback view of a stream, which both its liveness and its room are read from. */
  #callbacksOf(memo: StreamMemo, stream: StreamRecord): Effective | null {
    if (memo.callbacks === undefined) memo.callbacks = callbackView(stream, this.state.rooms)
    return memo.callbacks
  }

  liveness(streamId: string): Liveness | null {
    const memo = this.#memoOf(streamId)
    if (memo.liveness === undefined) {
      const stream = memo.stream
      memo.liveness = stream === undefined ? null : livenessFrom(stream, this.#callbacksOf(memo, stream))
    }
    return memo.liveness
  }

  roomOf(streamId: string): string | null {
    const memo = this.#memoOf(streamId)
    if (memo.room === undefined) {
      const stream = memo.stream
      memo.room =
        stream === undefined ? null : roomOf(stream, this.state.rooms, this.#callbacksOf(memo, stream))
    }
    return memo.room
  }

  streamsInRoom(roomId: string): string[] {
    this.#byRoom ??= new Map()
    let list = this.#byRoom.get(roomId)
    if (list === undefined) {
      const { streams, rooms } = this.state
      // Only a stream naming the room can be in it (room-candidates.ts): no scan of the app's streams.
      list = streamsNaming(streams, roomId).filter((streamId) => {
        const memo = this.#memoOf(streamId)
        const stream = memo.stream
        return stream !== undefined && roomOf(stream, rooms, this.#callbacksOf(memo, stream)) === roomId
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

/** A stream's record and the answers a view has read from it (undefined: not asked yet). */
interface StreamMemo {
  stream: StreamRecord | undefined
  callbacks: Effective | null | undefined
  liveness: Liveness | null | undefined
  room: string | null | undefined
}
