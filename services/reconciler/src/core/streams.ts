import type { EventOf } from '@mixguard/contracts'
import { type CloseClass, classifyClose, OBSERVED_ABSENT, ROOM_CLOSED } from './close-reasons.ts'
import { type Draft, touchEverything, touchRoom, writableStream } from './draft.ts'
import { STOP_FLOOR_MS } from './limits.ts'
import type { RoomClose, RoomRecord, StreamFact, StreamObservation, StreamRecord } from './model.ts'
import { type Table, tget, tvalues } from './table.ts'

/**
 * What we believe about one stream id. `null` means we know nothing (no callback, no observation):
 * callers treat that as live, because a stop on no evidence is the one mistake we must not make.
 */
export type Liveness =
  | { live: true; since: number; evidence: string }
  | {
      live: false
      /** When it went: ZEGO's close time, the room's close time, or the observation's time. */
      goneAt: number
      /** The earliest a stop may fire because of it (see STOP_FLOOR_MS). */
      floorAt: number
      close: CloseClass
      evidence: string
    }

/** The callback view of a stream at one room session's latest fact, a room_close overriding a create. */
interface Effective {
  live: boolean
  /** Orders room sessions against each other: the time of the session's latest stream fact. */
  orderAt: number
  /** The latest time this view speaks for (a room's close time can be later than its last stream fact). */
  at: number
  receivedAt: number
  close: CloseClass | null
  evidence: string
  roomId: string
  key: string
}

const sessionKey = (roomId: string, roomSessionId: string): string => JSON.stringify([roomId, roomSessionId])

function compareTuples(a: readonly (number | string)[], b: readonly (number | string)[]): number {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as number | string
    const y = b[i] as number | string
    if (x < y) return -1
    if (x > y) return 1
  }
  return 0
}

const kindRank = (kind: StreamFact['kind']): number => (kind === 'create' ? 0 : 1)

/**
 * Inside one room session stream_seq is ZEGO's own count of changes to the room's stream list, so it
 * orders create/close/re-create whatever the arrival order; time, then close-after-create, then the
 * event id only break ties, so the winner is a function of the set of facts.
 */
function laterInSession(a: StreamFact, b: StreamFact): boolean {
  return (
    compareTuples(
      [a.seq ?? -1, a.at, kindRank(a.kind), a.eventId],
      [b.seq ?? -1, b.at, kindRank(b.kind), b.eventId],
    ) > 0
  )
}

/**
 * Across room sessions (or rooms) only time can order facts. A session is placed by its latest stream
 * fact, not by its room's close time: a stream seen again in another room later than that fact has
 * left the closed one, whenever the room itself closed.
 */
function laterAcross(a: Effective, b: Effective): boolean {
  return compareTuples([a.orderAt, a.live ? 0 : 1, a.evidence], [b.orderAt, b.live ? 0 : 1, b.evidence]) > 0
}

/**
 * A room_close is refuted by a stream list of its room observed after its close time that lists any
 * stream: the room was open then. A list answers a call made after the close was known (the stop's
 * confirmation, a later sweep), so a listed stream is live evidence, not a stale one. A refuted close
 * closes nothing and stops nothing, whatever follows: the room's streams going later is told by their
 * own closes (or a later list), and only a newer room_close can stop a task on the room's close.
 */
export const closeRefuted = (room: RoomRecord, close: RoomClose): boolean =>
  room.listedAt !== null && room.listedAt > close.at

function effectiveOf(key: string, fact: StreamFact, rooms: Table<RoomRecord>): Effective {
  const base = {
    orderAt: fact.at,
    at: fact.at,
    receivedAt: fact.receivedAt,
    evidence: fact.eventId,
    roomId: fact.roomId,
    key,
  }
  if (fact.kind === 'close') return { ...base, live: false, close: classifyClose(fact.closeReason ?? -1) }
  // Nothing happens in a room session after it closed: its room_close ends a create we hold for it,
  // also when the create arrived after the room_close.
  const room = tget(rooms, fact.roomId)
  const closed = room?.closed[fact.roomSessionId]
  if (room !== undefined && closed !== undefined && !closeRefuted(room, closed)) {
    const at = Math.max(closed.at, fact.at)
    return {
      ...base,
      live: false,
      at,
      receivedAt: closed.receivedAt,
      close: ROOM_CLOSED,
      evidence: closed.eventId,
    }
  }
  return { ...base, live: true, close: null }
}

function callbackView(stream: StreamRecord, rooms: Table<RoomRecord>): Effective | null {
  let winner: Effective | null = null
  for (const [key, fact] of Object.entries(stream.facts)) {
    const effective = effectiveOf(key, fact, rooms)
    if (winner === null || laterAcross(effective, winner)) winner = effective
  }
  return winner
}

/** The room session whose fact decides the stream's callback view (the others may be forgotten). */
export function decidingSession(stream: StreamRecord, rooms: Table<RoomRecord>): string | null {
  return callbackView(stream, rooms)?.key ?? null
}

/**
 * An observation decides only when it is later than the callbacks' latest fact and disagrees with it:
 * a later create/close callback wins over an older observation, and when both say "gone" the
 * callback's own close time and reason are the better evidence.
 */
function observationDecides(
  observed: StreamObservation | null,
  cb: Effective | null,
): observed is StreamObservation {
  if (observed === null) return false
  return cb === null || (observed.at > cb.at && observed.present !== cb.live)
}

export function liveness(stream: StreamRecord | undefined, rooms: Table<RoomRecord>): Liveness | null {
  if (stream === undefined) return null
  const cb = callbackView(stream, rooms)
  const observed = stream.observed
  if (observationDecides(observed, cb)) {
    if (observed.present) return { live: true, since: observed.at, evidence: observed.evidence }
    return {
      live: false,
      goneAt: observed.at,
      floorAt: observed.receivedAt + STOP_FLOOR_MS,
      close: OBSERVED_ABSENT,
      evidence: observed.evidence,
    }
  }
  if (cb === null) return null
  if (cb.live) return { live: true, since: cb.at, evidence: cb.evidence }
  return {
    live: false,
    goneAt: cb.at,
    floorAt: cb.receivedAt + STOP_FLOOR_MS,
    close: cb.close ?? classifyClose(-1),
    evidence: cb.evidence,
  }
}

/** The room the stream is in now, by whichever source decides its liveness. */
export function roomOf(stream: StreamRecord, rooms: Table<RoomRecord>): string | null {
  const cb = callbackView(stream, rooms)
  if (observationDecides(stream.observed, cb) && stream.observed.roomId !== null)
    return stream.observed.roomId
  return cb?.roomId ?? stream.observed?.roomId ?? null
}

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
  touchRoom(d, b.roomId, now)
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

/** Cheap pre-check for roomOf(): a stream can only be in a room one of its facts or its observation names. */
function everIn(stream: StreamRecord, roomId: string): boolean {
  if (stream.observed?.roomId === roomId) return true
  for (const fact of Object.values(stream.facts)) if (fact.roomId === roomId) return true
  return false
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
  for (const stream of tvalues(d.state.streams)) {
    if (listed.has(stream.streamId) || !everIn(stream, input.roomId)) continue
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
