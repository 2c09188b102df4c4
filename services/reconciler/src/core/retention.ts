import { assertNever as unreachable } from '@mixguard/contracts'
import type { Draft } from './draft.ts'
import { removeRecord, touchEverything, writableRoom, writableStream } from './draft.ts'
import { RETENTION_MS, STALE_LIVE_STREAM_MS, SWEEP_INTERVAL_MS } from './limits.ts'
import { decidingSession, liveness, roomOf } from './liveness.ts'
import type { AppState, TaskRecord } from './model.ts'
import { tempty, tvalues } from './table.ts'

/** Nothing more will happen to this task unless ZEGO starts it again. */
function ended(task: TaskRecord): boolean {
  switch (task.phase) {
    case 'stopped':
    case 'stop_failed':
      return true
    case 'stop_requested_ok':
      return task.pending === null && task.verifyAt === null
    case 'running':
    case 'stopping':
      return false
    default:
      return unreachable(task.phase)
  }
}

function hasRecords(d: Draft): boolean {
  return !(tempty(d.state.tasks) && tempty(d.state.streams) && tempty(d.state.rooms))
}

/**
 * Keeps sweepAt no later than the earliest time any record could expire: a record written now
 * expires RETENTION_MS from now at the earliest, and the others were covered before.
 */
export function scheduleSweep(d: Draft, now: number): void {
  if (!hasRecords(d)) {
    d.state.sweepAt = null
    return
  }
  d.state.sweepAt = Math.min(d.state.sweepAt ?? Number.POSITIVE_INFINITY, now + RETENTION_MS)
}

/** After a sweep: the earliest expiry left, but not sooner than SWEEP_INTERVAL_MS (records kept for a reason). */
function nextSweep(state: AppState, now: number): number | null {
  let earliest = Number.POSITIVE_INFINITY
  const records = [...tvalues(state.streams), ...tvalues(state.tasks), ...tvalues(state.rooms)]
  for (const record of records) earliest = Math.min(earliest, record.touchedAt + RETENTION_MS)
  return Number.isFinite(earliest) ? Math.max(earliest, now + SWEEP_INTERVAL_MS) : null
}

/**
 * Forgets what has been over for RETENTION_MS: ended tasks, closed streams no remaining task reads,
 * older room sessions of a stream, room closes no remaining stream needs, idle rooms. What stays is
 * exactly what keeps a late duplicate from reviving anything within the retention.
 */
export function sweep(d: Draft, now: number): void {
  touchEverything(d)
  const expired = (touchedAt: number, keep = RETENTION_MS): boolean => touchedAt + keep <= now
  const s = d.state
  for (const task of tvalues(s.tasks)) {
    if (ended(task) && expired(task.touchedAt)) removeRecord(d, 'tasks', task.taskId)
  }
  const inputs = new Set<string>()
  const taskRooms = new Set<string>()
  const activeRooms = new Set<string>()
  for (const task of tvalues(s.tasks)) {
    for (const ref of task.inputs ?? []) if (ref.streamId !== null) inputs.add(ref.streamId)
    if (task.roomId === null) continue
    taskRooms.add(task.roomId)
    if (!ended(task)) activeRooms.add(task.roomId)
  }
  for (const stream of tvalues(s.streams)) {
    if (inputs.has(stream.streamId)) continue
    const live = liveness(stream, s.rooms)?.live === true
    const room = roomOf(stream, s.rooms)
    const stale = live
      ? expired(stream.touchedAt, STALE_LIVE_STREAM_MS) && (room === null || !activeRooms.has(room))
      : expired(stream.touchedAt)
    if (stale) removeRecord(d, 'streams', stream.streamId)
  }
  // Older room sessions of a stream cannot win against its deciding one any more.
  for (const stream of tvalues(s.streams)) {
    const facts = Object.entries(stream.facts)
    if (facts.length < 2) continue
    const deciding = decidingSession(stream, s.rooms)
    const old = facts.filter(([key, f]) => key !== deciding && expired(f.receivedAt))
    if (old.length === 0) continue
    const writable = writableStream(d, stream.streamId, now)
    for (const [key] of old) delete writable.facts[key]
  }
  const usedSessions = new Set<string>()
  const usedRooms = new Set(taskRooms)
  for (const stream of tvalues(s.streams)) {
    for (const fact of Object.values(stream.facts)) {
      usedSessions.add(JSON.stringify([fact.roomId, fact.roomSessionId]))
      usedRooms.add(fact.roomId)
    }
    if (stream.observed?.roomId) usedRooms.add(stream.observed.roomId)
  }
  for (const room of tvalues(s.rooms)) {
    const oldCloses = Object.values(room.closed).filter(
      (c) => expired(c.receivedAt) && !usedSessions.has(JSON.stringify([room.roomId, c.roomSessionId])),
    )
    const stalePending = room.pendingCheck !== null && expired(room.pendingCheck.decidedAt)
    let current = room
    if (oldCloses.length > 0 || stalePending) {
      current = writableRoom(d, room.roomId, now)
      for (const c of oldCloses) delete current.closed[c.roomSessionId]
      if (stalePending) current.pendingCheck = null
    }
    if (
      !usedRooms.has(room.roomId) &&
      current.pendingCheck === null &&
      Object.keys(current.closed).length === 0 &&
      expired(current.touchedAt)
    ) {
      removeRecord(d, 'rooms', room.roomId)
    }
  }
  s.sweepAt = nextSweep(s, now)
}
