/**
 * Builders and a driver for the core's tests (not part of the core's API). Events are validated with
 * the contracts' schema, and their ids are derived from their content, as ingest does, so a
 * duplicate built twice has one id.
 */
import { createHash } from 'node:crypto'
import {
  type Decision,
  type Outcome,
  type StreamRef,
  type ZegoEvent,
  ZegoEventSchema,
} from '@mixguard/contracts'
import { decide } from './decide.ts'
import { type AppState, type CoreInput, emptyState } from './model.ts'
import { type AppPolicy, defaultPolicy } from './policy.ts'
import { isRoomList } from './room-checks.ts'
import { storedStateV1 } from './stored-state.ts'
import { tget } from './table.ts'

export const APP = 4001
export const T0 = 1_700_000_000_000

function build(
  type: ZegoEvent['type'],
  body: unknown,
  occurredAt: number | null,
  receivedAt: number,
): ZegoEvent {
  const id = createHash('sha256')
    .update(JSON.stringify([type, body, occurredAt]))
    .digest('hex')
  return ZegoEventSchema.parse({ v: 1, id, appId: APP, type, occurredAt, receivedAt, body, raw: {} })
}

interface StreamArgs {
  streamId: string
  at: number | null
  sid?: string
  roomId?: string
  session?: string
  seq?: number | null
  receivedAt?: number
  userId?: string
}

/** The fields both stream events' bodies start with. */
function streamBody(a: StreamArgs) {
  return {
    roomId: a.roomId ?? 'r1',
    roomSessionId: a.session ?? 'rs1',
    streamId: a.streamId,
    streamSid: a.sid ?? `${a.streamId}-sid`,
    userId: a.userId ?? `user-${a.streamId}`,
    streamSeq: a.seq ?? null,
  }
}

export function created(a: StreamArgs & { recreate?: boolean }): ZegoEvent {
  const body = {
    ...streamBody(a),
    createTimeMs: a.at,
    recreate: a.recreate ?? false,
  }
  return build('stream_created', body, a.at, a.receivedAt ?? a.at ?? T0)
}

export function closed(a: StreamArgs & { reason?: number }): ZegoEvent {
  const body = {
    ...streamBody(a),
    createTimeMs: null,
    destroyTimeMs: a.at,
    closeReason: a.reason ?? 0,
  }
  return build('stream_closed', body, a.at, a.receivedAt ?? a.at ?? T0)
}

export function roomClosed(a: {
  roomId?: string
  session?: string
  at: number | null
  receivedAt?: number
}): ZegoEvent {
  const body = {
    roomId: a.roomId ?? 'r1',
    roomSessionId: a.session ?? 'rs1',
    closeReason: 0,
    closeTimeMs: a.at,
  }
  return build('room_closed', body, a.at, a.receivedAt ?? a.at ?? T0)
}

interface MixArgs {
  taskId: string
  at: number
  roomId?: string | null
  userId?: string | null
  output?: string | null
  url?: string | null
  seq?: number | null
  receivedAt?: number
}

function mixBody(a: MixArgs) {
  return {
    taskId: a.taskId,
    rawTaskId: `${APP}:${a.taskId}`,
    roomId: a.roomId === undefined ? 'r1' : a.roomId,
    initiatorUserId: a.userId ?? null,
    outputStreamId: a.output ?? null,
    outputUrl: a.url ?? null,
    seq: a.seq ?? null,
  }
}

/** Mix callbacks carry whole seconds: their time is truncated as contracts' toEvent does. */
export function mixStarted(a: MixArgs): ZegoEvent {
  return build('mix_started', mixBody(a), Math.floor(a.at / 1000) * 1000, a.receivedAt ?? a.at)
}

export function mixStopped(a: MixArgs): ZegoEvent {
  return build('mix_stopped', mixBody(a), Math.floor(a.at / 1000) * 1000, a.receivedAt ?? a.at)
}

interface ApiArgs {
  taskId: string
  at: number
  inputs?: (string | StreamRef)[]
  outputs?: (string | StreamRef)[]
  userId?: string | null
  roomId?: string | null
  sequence?: number | null
  code?: number
  receivedAt?: number
}

const ref = (x: string | StreamRef): StreamRef =>
  typeof x === 'string' ? { streamId: x, streamUrl: null } : x

function apiCall(action: 'StartMix' | 'StartAutoMix' | 'StopMix' | 'StopAutoMix', a: ApiArgs): ZegoEvent {
  const starts = action === 'StartMix' || action === 'StartAutoMix'
  const body = {
    action,
    taskId: a.taskId,
    userId: a.userId === undefined ? 'svc' : a.userId,
    roomId: a.roomId === undefined ? 'r1' : a.roomId,
    sequence: a.sequence ?? null,
    inputs: action === 'StartMix' ? (a.inputs ?? []).map(ref) : [],
    outputs: starts ? (a.outputs ?? [`out-${a.taskId}`]).map(ref) : [],
    maxIdleTimeSec: null,
    request: { TaskId: a.taskId },
    response: { httpStatus: 200, code: a.code ?? 0, message: null, requestId: null },
  }
  return build('mix_api_call', body, a.at, a.receivedAt ?? a.at + 50)
}

export const startMix = (a: ApiArgs): ZegoEvent => apiCall('StartMix', a)
export const startAutoMix = (a: ApiArgs): ZegoEvent => apiCall('StartAutoMix', a)
export const stopMix = (a: ApiArgs): ZegoEvent => apiCall('StopMix', a)

export function outcomeFor(
  decision: Decision,
  result: Outcome['result'],
  at: number,
  action: Outcome['action'] = decision.action === 'stop' ? 'StopMix' : 'GetMixTaskInfo',
): Outcome {
  return {
    v: 1,
    decisionId: decision.id,
    appId: decision.appId,
    taskId: decision.taskId,
    action,
    result,
    zegoCode: null,
    errorCode: null,
    attempt: 1,
    at,
  }
}

/** Any stream-list decision: a confirmation, a silence check or the room sweep's. */
export const isRoomCheck = isRoomList

/** Freezes a value and everything in it: a state handed to the core, so any write into it throws. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}

/**
 * Drives decide() like the shell does, keeping every decision. The state handed to decide() is
 * frozen, so any mutation of it throws.
 */
export function driver(policy: AppPolicy = policyWith({}), initial: AppState = emptyState(APP)) {
  let state = initial
  const decisions: Decision[] = []
  const feed = (input: CoreInput, now: number): Decision[] => {
    const step = decide(deepFreeze(state), input, now, policy)
    state = step.state
    decisions.push(...step.decisions)
    return step.decisions
  }
  return {
    policy,
    decisions,
    get state() {
      return state
    },
    set state(value: AppState) {
      state = value
    },
    feed,
    event: (event: ZegoEvent, now: number = event.receivedAt) => feed({ kind: 'event', event }, now),
    tick: (now: number) => feed({ kind: 'tick' }, now),
    /** The tick a shell gives after it changed the policy: every task is assessed again. */
    reassess: (now: number) => feed({ kind: 'tick', reassess: true }, now),
    /**
     * A tick at `now` as it goes when ZEGO answers at once: the room checks it asks for are answered,
     * observed at `now`, with `lists` (a room not given lists no stream), and time ticks again.
     * Returns the decisions other than those checks.
     */
    tickAnswered: (now: number, lists: Record<string, string[]> = {}): Decision[] => {
      const first = feed({ kind: 'tick' }, now)
      const checks = first.filter(isRoomCheck)
      for (const check of checks) {
        const roomId = check.command?.call === 'DescribeSimpleStreamList' ? check.command.roomId : ''
        feed({ kind: 'room_streams', roomId, streamIds: lists[roomId] ?? [], observedAt: now }, now)
      }
      const second = checks.length > 0 ? feed({ kind: 'tick' }, now) : []
      return [...first, ...second].filter((x) => !isRoomCheck(x))
    },
    outcome: (outcome: Outcome, now: number = outcome.at) => feed({ kind: 'outcome', outcome }, now),
    roomStreams: (roomId: string, streamIds: string[], observedAt: number, now: number = observedAt) =>
      feed({ kind: 'room_streams', roomId, streamIds, observedAt }, now),
    task: (taskId: string) => tget(state.tasks, taskId),
    stream: (streamId: string) => tget(state.streams, streamId),
  }
}

/**
 * The default policy with `changes`, except that the room sweep is off unless `changes` turn it on:
 * it lists rooms on every tick, which the tests of other mechanisms neither answer nor expect.
 * room-sweep.test.ts and the property tests (policyArb) switch it on.
 */
export function policyWith(changes: Partial<AppPolicy>): AppPolicy {
  return { ...defaultPolicy(APP), roomSweep: { enabled: false, listShare: 0.5 }, ...changes }
}

/** A state in the form versions before v2 stored it (v1): its JSON, the tasks in one flat map. */
export function v1Stored(state: AppState): unknown {
  return JSON.parse(JSON.stringify(storedStateV1(state)))
}
