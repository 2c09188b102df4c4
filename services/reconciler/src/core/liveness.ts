import { type CloseClass, classifyClose, OBSERVED_ABSENT, ROOM_CLOSED } from './close-reasons.ts'
import { STOP_FLOOR_MS } from './limits.ts'
import type { RoomClose, RoomRecord, StreamFact, StreamObservation, StreamRecord } from './model.ts'
import { type Table, tget } from './table.ts'

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
export interface Effective {
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

/**
 * The key of a room session in a stream's facts: JSON of [roomId, roomSessionId]. A room's stream
 * callbacks come in runs of one session, so the key made last for each room is kept and given again:
 * one string, which V8 interns once, where each new one costs the JSON and interning it for the facts
 * lookup. A memo, not state (the same arguments give the same text); forgotten past KEPT_ROOMS rooms.
 */
export function sessionKey(roomId: string, roomSessionId: string): string {
  const recent = recentKeys.get(roomId)
  if (recent !== undefined && recent.roomSessionId === roomSessionId) return recent.key
  const key = JSON.stringify([roomId, roomSessionId])
  if (recentKeys.size >= KEPT_ROOMS) recentKeys.clear()
  recentKeys.set(roomId, { roomSessionId, key })
  return key
}

const KEPT_ROOMS = 4096
const recentKeys = new Map<string, { roomSessionId: string; key: string }>()

/** Below zero, zero or above as `x` sorts before, with or after `y` (numbers by value, strings by code unit). */
const order = (x: number | string, y: number | string): number => (x < y ? -1 : x > y ? 1 : 0)

const kindRank = (kind: StreamFact['kind']): number => (kind === 'create' ? 0 : 1)

/**
 * Inside one room session stream_seq is ZEGO's own count of changes to the room's stream list, so it
 * orders create/close/re-create whatever the arrival order; time, then close-after-create, then the
 * event id only break ties, so the winner is a function of the set of facts.
 */
export function laterInSession(a: StreamFact, b: StreamFact): boolean {
  return (
    (order(a.seq ?? -1, b.seq ?? -1) ||
      order(a.at, b.at) ||
      order(kindRank(a.kind), kindRank(b.kind)) ||
      order(a.eventId, b.eventId)) > 0
  )
}

/**
 * Across room sessions (or rooms) only time can order facts. A session is placed by its latest stream
 * fact, not by its room's close time: a stream seen again in another room later than that fact has
 * left the closed one, whenever the room itself closed.
 */
function laterAcross(a: Effective, b: Effective): boolean {
  return (
    (order(a.orderAt, b.orderAt) || order(a.live ? 0 : 1, b.live ? 0 : 1) || order(a.evidence, b.evidence)) >
    0
  )
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
  const { at, receivedAt, eventId: evidence, roomId } = fact
  if (fact.kind === 'close') {
    const close = classifyClose(fact.closeReason ?? -1)
    return { live: false, orderAt: at, at, receivedAt, close, evidence, roomId, key }
  }
  // Nothing happens in a room session after it closed: its room_close ends a create we hold for it,
  // also when the create arrived after the room_close.
  const room = tget(rooms, roomId)
  const closed = room?.closed[fact.roomSessionId]
  if (room !== undefined && closed !== undefined && !closeRefuted(room, closed)) {
    return {
      live: false,
      orderAt: at,
      at: Math.max(closed.at, at),
      receivedAt: closed.receivedAt,
      close: ROOM_CLOSED,
      evidence: closed.eventId,
      roomId,
      key,
    }
  }
  return { live: true, orderAt: at, at, receivedAt, close: null, evidence, roomId, key }
}

export function callbackView(stream: StreamRecord, rooms: Table<RoomRecord>): Effective | null {
  let winner: Effective | null = null
  const facts = stream.facts
  for (const key in facts) {
    const effective = effectiveOf(key, facts[key] as StreamFact, rooms)
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
  return stream === undefined ? null : livenessFrom(stream, callbackView(stream, rooms))
}

/** liveness() of a stream whose callbackView the caller has. */
export function livenessFrom(stream: StreamRecord, cb: Effective | null): Liveness | null {
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

/** The room the stream is in now, by whichever source decides its liveness (`cb`: its callbackView). */
export function roomOf(
  stream: StreamRecord,
  rooms: Table<RoomRecord>,
  cb: Effective | null = callbackView(stream, rooms),
): string | null {
  if (observationDecides(stream.observed, cb) && stream.observed.roomId !== null)
    return stream.observed.roomId
  return cb?.roomId ?? stream.observed?.roomId ?? null
}
