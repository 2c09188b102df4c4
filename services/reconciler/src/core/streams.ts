import type { EventOf } from '@mixguard/contracts'
import { type Draft, touchEverything, touchRoom, touchRoomStreams, writableStream } from './draft.ts'
import { callbackView, laterInSession, roomOf, sessionKey } from './liveness.ts'
import type { RoomRecord, StreamFact, StreamObservation, StreamRecord } from './model.ts'
import { streamsNamingInOrder } from './room-candidates.ts'
import { type Table, tget } from './table.ts'

/** The event appliers of streams: stream callbacks, stream lists and room closes update the records liveness.ts reads. */
export function applyStreamEvent(
  d: Draft,
  event: EventOf<'stream_created'> | EventOf<'stream_closed'>,
  now: number,
): void {
  const b = event.body
  const fact: StreamFact =
    event.type === 'stream_created'
      ? {
          kind: 'create',
          eventId: event.id,
          sid: b.streamSid,
          roomId: b.roomId,
          roomSessionId: b.roomSessionId,
          seq: b.streamSeq,
          at: event.body.createTimeMs ?? event.occurredAt ?? event.receivedAt,
          receivedAt: event.receivedAt,
          closeReason: null,
        }
      : {
          kind: 'close',
          eventId: event.id,
          sid: b.streamSid,
          roomId: b.roomId,
          roomSessionId: b.roomSessionId,
          seq: b.streamSeq,
          // The grace starts at ZEGO's own close time when it sent one, else when we received the close.
          at: event.body.destroyTimeMs ?? event.receivedAt,
          receivedAt: event.receivedAt,
          closeReason: event.body.closeReason,
        }
  const stream = writableStream(d, b.streamId, now)
  const key = sessionKey(b.roomId, b.roomSessionId)
  const current = stream.facts[key]
  // A duplicate is not later than itself, and an early close is not overtaken by its late create.
  if (current === undefined || laterInSession(fact, current)) stream.facts[key] = fact
  stream.touchedAt = now
  touchRoomStreams(d, b.roomId, now)
}

function isNewer(candidate: StreamObservation, existing: StreamObservation | null): boolean {
  if (existing === null || candidate.at > existing.at) return true
  // Equal times: "present" wins, so the result does not depend on which arrived first.
  return candidate.at === existing.at && candidate.present && !existing.present
}

/**
 * Absent from a list, and absent again from a later one with no stream callback in between: the stream
 * has been gone since the first list. Keeping that observation keeps its grace from restarting with
 * every list, so an orphan whose stop waits for a list at or after its deadline does come due.
 */
function stillAbsent(stream: StreamRecord, candidate: StreamObservation, rooms: Table<RoomRecord>): boolean {
  const previous = stream.observed
  if (previous === null || previous.present || candidate.present || previous.roomId !== candidate.roomId)
    return false
  const cb = callbackView(stream, rooms)
  return cb === null || cb.at < previous.at
}

export function observe(d: Draft, streamId: string, observation: StreamObservation, now: number): void {
  const current = tget(d.state.streams, streamId)
  if (current !== undefined && !isNewer(observation, current.observed)) return
  const keep = current !== undefined && stillAbsent(current, observation, d.state.rooms)
  const stream = writableStream(d, streamId, now)
  if (!keep) stream.observed = observation
  stream.touchedAt = now
}

/**
 * A DescribeSimpleStreamList answer: listed streams are live, the room's other known streams are not.
 * It touches the room and the streams it observed, not everything: the room sweep brings many lists a
 * second, and re-evaluating every task of a large app on each was the sweep's main cost.
 */
export function applyRoomStreams(
  d: Draft,
  input: { roomId: string; streamIds: string[]; observedAt: number },
  now: number,
): void {
  // Touches the room and the streams it observed: the tasks they can affect are re-evaluated (decide.ts).
  const evidence = `room_streams:${input.roomId}@${input.observedAt}`
  const listed = new Set(input.streamIds)
  for (const streamId of [...listed].sort()) {
    observe(
      d,
      streamId,
      { present: true, roomId: input.roomId, at: input.observedAt, receivedAt: now, evidence },
      now,
    )
  }
  // Only a stream naming the room can be in it (room-candidates.ts), visited in the table's order as a
  // scan of every stream of the app visited them: the answer costs the room's streams, not the app's.
  for (const stream of streamsNamingInOrder(d.state.streams, input.roomId)) {
    if (listed.has(stream.streamId)) continue
    if (roomOf(stream, d.state.rooms) !== input.roomId) continue
    const absent = { present: false, roomId: input.roomId, at: input.observedAt, receivedAt: now, evidence }
    observe(d, stream.streamId, absent, now)
  }
  const room = touchRoom(d, input.roomId, now)
  if (room.observedAt === null || input.observedAt >= room.observedAt) {
    room.observedAt = input.observedAt
    room.observedReceivedAt = now
  }
  if (listed.size > 0 && (room.listedAt === null || input.observedAt > room.listedAt))
    room.listedAt = input.observedAt
  room.pendingCheck = null
}

export function applyRoomClosed(d: Draft, event: EventOf<'room_closed'>, now: number): void {
  const b = event.body
  const room = touchRoom(d, b.roomId, now)
  if (room.closed[b.roomSessionId] !== undefined) return
  touchEverything(d)
  room.closed[b.roomSessionId] = {
    roomSessionId: b.roomSessionId,
    eventId: event.id,
    at: b.closeTimeMs ?? event.receivedAt,
    receivedAt: event.receivedAt,
    closeReason: b.closeReason,
  }
  // Streams of the session need no change: liveness() reads the room's closed sessions.
}
