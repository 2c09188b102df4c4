import type { AppState, RoomRecord, StreamRecord, TaskRecord } from './model.ts'

/**
 * Copy-on-write over one AppState, so decide() never mutates the state it was given (a shell can keep
 * the old state if writing the decisions fails, and a test can decide twice from one state). The
 * record maps are copied once per input; a record is cloned the first time it is written.
 */
export interface Draft {
  state: AppState
  owned: WeakSet<object>
}

export function openDraft(state: AppState): Draft {
  return {
    state: { ...state, streams: { ...state.streams }, tasks: { ...state.tasks }, rooms: { ...state.rooms } },
    owned: new WeakSet(),
  }
}

function own<T extends object>(d: Draft, map: Record<string, T>, key: string, record: T): T {
  if (d.owned.has(record)) return record
  const copy = structuredClone(record)
  d.owned.add(copy)
  map[key] = copy
  return copy
}

export function writableStream(d: Draft, streamId: string, now: number): StreamRecord {
  const existing = d.state.streams[streamId]
  if (existing) return own(d, d.state.streams, streamId, existing)
  const created: StreamRecord = { streamId, facts: {}, observed: null, touchedAt: now }
  d.owned.add(created)
  d.state.streams[streamId] = created
  return created
}

export function writableRoom(d: Draft, roomId: string, now: number): RoomRecord {
  const existing = d.state.rooms[roomId]
  if (existing) return own(d, d.state.rooms, roomId, existing)
  const created: RoomRecord = {
    roomId,
    closed: {},
    observedAt: null,
    observedReceivedAt: null,
    lastCheckAt: null,
    pendingCheck: null,
    checkFailedAt: null,
    touchedAt: now,
  }
  d.owned.add(created)
  d.state.rooms[roomId] = created
  return created
}

export function writableTask(d: Draft, taskId: string, now: number): TaskRecord {
  const existing = d.state.tasks[taskId]
  if (existing) return own(d, d.state.tasks, taskId, existing)
  const created: TaskRecord = {
    taskId,
    auto: false,
    roomId: null,
    userId: null,
    inputs: null,
    inputsSequence: null,
    inputsAt: null,
    inputsEventId: null,
    outputs: [],
    lastStart: null,
    lastStop: null,
    run: null,
    // No start seen yet: not running until a start fact says so.
    phase: 'stopped',
    superseded: null,
    stopCause: null,
    stopAttempts: 0,
    pending: null,
    verifyAt: null,
    problem: null,
    reported: [],
    due: { stopAt: null, silentAt: null },
    touchedAt: now,
  }
  d.owned.add(created)
  d.state.tasks[taskId] = created
  return created
}

/** Marks a room as having news, creating its record. */
export function touchRoom(d: Draft, roomId: string, now: number): RoomRecord {
  const room = writableRoom(d, roomId, now)
  room.touchedAt = now
  return room
}
