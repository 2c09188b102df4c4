import { lifecycleRunning } from './lifecycle.ts'
import { STOP_FLOOR_MS, UNCONFIRMED_STOP_MIN_WAIT_MS } from './limits.ts'
import { closeRefuted, type Liveness } from './liveness.ts'
import type { StopCause, StreamFact, TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { sortedUnique } from './sorted-unique.ts'
import { tget } from './table.ts'
import type { View } from './view.ts'

/** A stop cause, and what must confirm it before it may fire (see confirmation.ts). */
export interface StopPlan {
  cause: StopCause
  /** null: the cause fires at its due time (supersession, room_close, or confirmation off). */
  confirm: Confirmation | null
}

/** The rooms whose stream lists must confirm a stop resting on stream callbacks, and the fallback wait. */
interface Confirmation {
  reason: 'orphaned' | 'room_empty' | 'room_closed'
  /**
   * Sorted by room id: each room with the evidence of the gone streams in it, and the latest time
   * they went (a list of the room older than that cannot speak for them).
   */
  rooms: { roomId: string; eventIds: string[]; goneAt: number }[]
  /** How long after the first checks the stop falls back to the callbacks alone, without an answer. */
  waitMs: number
}

/**
 * Why a running task should stop, from when, and what must confirm it; null while it should not.
 * Pure: the same task, state and policy give the same plan, so a deadline recomputed after a restart
 * or a policy change is the same deadline.
 */
export function stopPlanOf(task: TaskRecord, view: View, policy: AppPolicy): StopPlan | null {
  if (task.run === null) return null
  const superseded = supersessionCause(task, view, policy)
  if (superseded !== null) return { cause: superseded, confirm: null }
  const byInputs = inputsCause(task, task.run.startedAt, view, policy)
  const plan = byInputs !== 'no_input_evidence' ? byInputs : roomCause(task, task.run.startedAt, view, policy)
  if (plan === null) return null
  return policy.confirmOrphansWithStreamList ? plan : { ...plan, confirm: null }
}

/**
 * Adds a gone input to the rooms that must confirm it: every room it was seen in (its callbacks'
 * rooms, a list's), not only the room of its latest fact: a forged stream_close naming another room
 * must not get the confirmation to list a room the stream was never in, and miss it live in its own.
 * A stream whose room is unknown cannot be confirmed.
 */
function addGone(
  rooms: Confirmation['rooms'],
  streamId: string,
  evidence: string,
  goneAt: number,
  view: View,
): void {
  addToRoom(rooms, view.roomOf(streamId), evidence, goneAt)
  const stream = tget(view.state.streams, streamId)
  if (stream === undefined) return
  for (const key in stream.facts) addToRoom(rooms, (stream.facts[key] as StreamFact).roomId, evidence, goneAt)
  if (stream.observed?.roomId) addToRoom(rooms, stream.observed.roomId, evidence, goneAt)
}

/** A task's inputs are in a few rooms: a list found by a scan (made ready by byRoom). */
function addToRoom(
  rooms: Confirmation['rooms'],
  roomId: string | null,
  evidence: string,
  goneAt: number,
): void {
  if (roomId === null) return
  const room = rooms.find((r) => r.roomId === roomId)
  if (room === undefined) rooms.push({ roomId, eventIds: [evidence], goneAt })
  else {
    room.eventIds.push(evidence)
    room.goneAt = Math.max(room.goneAt, goneAt)
  }
}

/** The rooms addGone gathered, sorted by room id, each with its evidence sorted and once. */
function byRoom(rooms: Confirmation['rooms']): Confirmation['rooms'] {
  if (rooms.length > 1) rooms.sort((a, b) => (a.roomId < b.roomId ? -1 : a.roomId > b.roomId ? 1 : 0))
  for (const room of rooms) room.eventIds = sortedUnique(room.eventIds)
  return rooms
}

const confirmation = (
  reason: Confirmation['reason'],
  rooms: Confirmation['rooms'],
  graceMs: number,
): Confirmation | null =>
  rooms.length === 0 ? null : { reason, rooms, waitMs: Math.max(graceMs, UNCONFIRMED_STOP_MIN_WAIT_MS) }

export function supersessionEnabled(
  policy: AppPolicy,
  rule: 'shared_output' | 'shared_user_in_room',
): boolean {
  return rule === 'shared_output' ? policy.supersession.sharedOutput : policy.supersession.sharedUserInRoom
}

/**
 * Holds while the task that replaced this one still runs, ZEGO has confirmed that it does (or could
 * not be asked), and the rule is still switched on.
 */
function supersessionCause(task: TaskRecord, view: View, policy: AppPolicy): StopCause | null {
  const s = task.superseded
  if (s === null || !supersessionEnabled(policy, s.rule)) return null
  const by = tget(view.state.tasks, s.by)
  if (by === undefined || !lifecycleRunning(by)) return null
  return supersededCause(s, by)
}

/**
 * Supersession stops at once: its due time is when it was found. But only once ZEGO has said that
 * the newer task runs: a StartMix it accepted, or a GetMixTaskInfo answered since (its evidence then
 * names the check); a newer task known from callbacks alone could be a forged mix_start. Null while
 * that word is awaited; when the check failed for good since the supersession was found, the stop
 * falls back to the callbacks alone, its rule marked `+unconfirmed`.
 */
export function supersededCause(s: NonNullable<TaskRecord['superseded']>, by: TaskRecord): StopCause | null {
  const cause: StopCause = {
    reason: 'superseded',
    rule: s.rule,
    deadline: null,
    dueAt: s.at,
    eventIds: s.eventIds,
    supersededBy: s.by,
    note: `newer task ${s.by} (${s.rule.replaceAll('_', ' ')})`,
  }
  const confirmed = by.confirmedRun
  if (confirmed?.by === 'start_mix') return cause
  if (confirmed?.by === 'get_mix_task_info') {
    return {
      ...cause,
      eventIds: [...new Set([...cause.eventIds, runCheckEvidence(by.taskId, confirmed.at)])].sort(),
      note: `${cause.note}; GetMixTaskInfo found it running at ${confirmed.at}`,
    }
  }
  if (by.runCheckFailedAt !== null && by.runCheckFailedAt >= s.at) {
    return {
      ...cause,
      rule: `${s.rule}+unconfirmed`,
      note: `${cause.note}; GetMixTaskInfo of it failed at ${by.runCheckFailedAt}: stopped on the callbacks alone`,
    }
  }
  return null
}

/** The evidence id of a GetMixTaskInfo that found a task running. */
const runCheckEvidence = (taskId: string, at: number): string => `get_mix_task_info:${taskId}@${at}`

/** The stream ids a task's liveness depends on, or null when its inputs say nothing. */
function streamInputs(
  task: TaskRecord,
  view: View,
  policy: AppPolicy,
): { ids: string[]; auto: boolean } | 'live' | null {
  if (task.auto) {
    const ids = task.roomId === null ? [] : view.streamsInRoom(task.roomId)
    return ids.length > 0 ? { ids, auto: true } : null
  }
  if (task.inputs === null) return null
  const ids: string[] = []
  let urls = 0
  for (const ref of task.inputs) {
    if (ref.streamId !== null) ids.push(ref.streamId)
    else if (ref.streamUrl !== null) urls++
  }
  if (urls > 0 && policy.urlInputsCountAsLive) return 'live'
  return ids.length > 0 ? { ids: sortedUnique(ids), auto: false } : null
}

/**
 * Orphaned: every stream input gone, each for its own grace (by its close reason), the floor after
 * its close was received included. The deadline is the latest of those, so an input that went early
 * with a long grace (a heartbeat timeout that may still reconnect) is waited for too.
 */
function inputsCause(
  task: TaskRecord,
  startedAt: number,
  view: View,
  policy: AppPolicy,
): StopPlan | null | 'no_input_evidence' {
  // Most assessments find a stream input live or unknown, and then there is no cause whatever the other
  // inputs are: told before anything is gathered (liveness is memoised).
  if (!task.auto && task.inputs !== null)
    for (const ref of task.inputs) {
      if (ref.streamId === null) continue
      const l = view.liveness(ref.streamId)
      if (l === null || l.live) return null
    }
  const inputs = streamInputs(task, view, policy)
  if (inputs === 'live') return null
  if (inputs === null) return 'no_input_evidence'
  // An auto task's inputs are its room's streams: told here.
  if (inputs.auto)
    for (const streamId of inputs.ids) {
      const l = view.liveness(streamId)
      if (l === null || l.live) return null
    }
  // The input whose deadline is the latest (the last of equal ones).
  let last: Extract<Liveness, { live: false }> | null = null
  let lastId = ''
  let lastDueAt = 0
  let lastGoneAt = 0
  const evidence = task.inputsEventId === null ? [] : [task.inputsEventId]
  const rooms: Confirmation['rooms'] = []
  for (const streamId of inputs.ids) {
    const l = view.liveness(streamId) as Extract<Liveness, { live: false }>
    // An auto task started after its room's known streams went: they are not what it mixes.
    const goneAt = inputs.auto ? Math.max(l.goneAt, startedAt) : l.goneAt
    const dueAt = Math.max(goneAt + policy.graceMs[l.close.grace], l.floorAt)
    evidence.push(l.evidence)
    addGone(rooms, streamId, l.evidence, goneAt, view)
    if (last === null || dueAt >= lastDueAt) {
      last = l
      lastId = streamId
      lastDueAt = dueAt
      lastGoneAt = goneAt
    }
  }
  if (last === null) return null
  const label = last.close.label
  return {
    cause: {
      reason: 'orphaned',
      rule: `grace:${label}`,
      deadline: lastDueAt,
      dueAt: lastDueAt,
      eventIds: sortedUnique(evidence),
      supersededBy: null,
      note: `${inputs.auto ? 'room streams' : 'inputs'} ${inputs.ids.join(', ')} gone; last ${lastId} (${label}) at ${lastGoneAt}`,
    },
    // One more grace of the input that decided the deadline.
    confirm: confirmation('orphaned', byRoom(rooms), policy.graceMs[last.close.grace]),
  }
}

/**
 * For tasks whose inputs are unknown: only evidence about their room can stop them. A room_close is a
 * callback like any other (its signature does not cover its body, so it may be forged): the room's
 * stream list confirms it, as it does an empty room seen through stream callbacks (they may have lost
 * a reconnect); an empty room seen through a stream list already is confirmed.
 */
function roomCause(task: TaskRecord, startedAt: number, view: View, policy: AppPolicy): StopPlan | null {
  if (task.roomId === null) return null
  const roomId = task.roomId
  const room = tget(view.state.rooms, task.roomId)
  const streamIds = view.streamsInRoom(task.roomId)
  const gone: { goneAt: number; floorAt: number; evidence: string }[] = []
  for (const streamId of streamIds) {
    const l = view.liveness(streamId)
    if (l === null || l.live) return null
    gone.push(l)
  }
  const causes: StopPlan[] = []
  if (policy.rooms.stopOnRoomClose && room !== undefined) {
    // A close a later list refuted (streams.ts closeRefuted) never arms again: only a newer one may.
    const closes = Object.values(room.closed)
      .filter((c) => c.at > startedAt && !closeRefuted(room, c))
      .sort((a, b) => a.at - b.at || (a.eventId < b.eventId ? -1 : 1))
    const first = closes[0]
    if (first !== undefined) {
      const dueAt = Math.max(first.at + policy.graceMs.roomGone, first.receivedAt + STOP_FLOOR_MS)
      causes.push({
        cause: {
          reason: 'room_closed',
          rule: 'room_close',
          deadline: dueAt,
          dueAt,
          eventIds: [first.eventId],
          supersededBy: null,
          note: `room ${roomId} closed at ${first.at} (reason ${first.closeReason})`,
        },
        confirm: confirmation(
          'room_closed',
          [{ roomId, eventIds: [first.eventId], goneAt: first.at }],
          policy.graceMs.roomGone,
        ),
      })
    }
  }
  if (policy.rooms.stopWhenRoomEmpty) {
    let emptySince: number | null = null
    let floorAt = 0
    const evidence: string[] = []
    for (const g of gone) {
      emptySince = Math.max(emptySince ?? g.goneAt, g.goneAt)
      floorAt = Math.max(floorAt, g.floorAt)
      evidence.push(g.evidence)
    }
    const emptyList = room?.observedAt != null && (room.listedAt === null || room.listedAt < room.observedAt)
    if (gone.length === 0 && emptyList && room?.observedAt != null && room.observedReceivedAt !== null) {
      // An empty stream list is the only evidence for a room whose streams we never saw (a list that
      // listed a stream is none, even when callbacks placed that stream elsewhere since).
      emptySince = room.observedAt
      floorAt = room.observedReceivedAt + STOP_FLOOR_MS
      evidence.push(`room_streams:${task.roomId}@${room.observedAt}`)
    }
    // A list that listed a stream in the room since it went empty refutes the emptiness, even when
    // callbacks place that stream elsewhere; only a close later than that list makes it empty again.
    const refuted = emptySince !== null && room?.listedAt != null && room.listedAt >= emptySince
    if (emptySince !== null && !refuted) {
      // The task started with live inputs, whatever we saw of the room before.
      const since = Math.max(emptySince, startedAt)
      const dueAt = Math.max(since + policy.rooms.emptyRoomGraceMs, floorAt)
      const eventIds = sortedUnique(evidence)
      causes.push({
        cause: {
          reason: 'room_empty',
          rule: 'room_empty',
          deadline: dueAt,
          dueAt,
          eventIds,
          supersededBy: null,
          note: `room ${roomId} without a live stream since ${since}`,
        },
        confirm:
          gone.length === 0
            ? null
            : confirmation(
                'room_empty',
                [{ roomId, eventIds, goneAt: since }],
                policy.rooms.emptyRoomGraceMs,
              ),
      })
    }
  }
  causes.sort((a, b) => a.cause.dueAt - b.cause.dueAt)
  return causes[0] ?? null
}
