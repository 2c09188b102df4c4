/**
 * A small true world for the property tests: one room session of streams that publish, drop and
 * reconnect, and mix tasks started, updated and stopped through the API. It records the ZEGO events
 * the world produces, in true order, and answers ground-truth questions about it.
 */
import type { ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { closed, created, mixStarted, mixStopped, roomClosed, startMix, stopMix, T0 } from './test-kit.ts'

type Action =
  | { kind: 'publish'; stream: number; reconnect: boolean }
  | { kind: 'unpublish'; stream: number; reason: number }
  | { kind: 'start'; task: number; inputs: number; output: number; user: number; room: string; url: boolean }
  | { kind: 'update'; task: number; inputs: number }
  | { kind: 'stop'; task: number }

export interface Script {
  /** Streams already publishing when the world starts (a bit mask). */
  prelude: number
  steps: [Action, number][]
  withSeq: boolean
  roomClose: boolean
}

const STREAMS = 4
const TASKS = 4

export const scriptArb: fc.Arbitrary<Script> = fc.record({
  steps: fc.array(
    fc.tuple(
      fc.oneof(
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('publish' as const),
            stream: fc.nat(STREAMS - 1),
            reconnect: fc.boolean(),
          }),
        },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('unpublish' as const),
            stream: fc.nat(STREAMS - 1),
            reason: fc.constantFrom(0, 1, 2, 3, 4, 100),
          }),
        },
        {
          weight: 3,
          arbitrary: fc.record({
            kind: fc.constant('start' as const),
            task: fc.nat(TASKS - 1),
            inputs: fc.integer({ min: 1, max: 2 ** STREAMS - 1 }),
            output: fc.nat(2),
            user: fc.nat(1),
            room: fc.constantFrom('r1', 'r2'),
            url: fc.boolean(),
          }),
        },
        {
          weight: 1,
          arbitrary: fc.record({
            kind: fc.constant('update' as const),
            task: fc.nat(TASKS - 1),
            inputs: fc.integer({ min: 1, max: 2 ** STREAMS - 1 }),
          }),
        },
        { weight: 1, arbitrary: fc.record({ kind: fc.constant('stop' as const), task: fc.nat(TASKS - 1) }) },
      ),
      // Mostly short gaps (reconnects inside ZEGO's 90 s window, closes inside a grace), some long ones.
      fc.oneof(
        { weight: 3, arbitrary: fc.integer({ min: 500, max: 20_000 }) },
        { weight: 1, arbitrary: fc.integer({ min: 20_000, max: 150_000 }) },
      ),
    ),
    { minLength: 8, maxLength: 40 },
  ),
  prelude: fc.integer({ min: 0, max: 2 ** STREAMS - 1 }),
  withSeq: fc.boolean(),
  roomClose: fc.boolean(),
})

interface TaskTruth {
  taskId: string
  startAt: number
  userId: string
  roomId: string
  output: string
  url: boolean
  /** Every input set the task had, from its start and each update. */
  inputs: { at: number; streams: string[] }[]
  stoppedAt: number | null
}

export interface World {
  events: ZegoEvent[]
  /** StartMix/StopMix records: never lost (they are on the events topic by construction). */
  apiRecords: Set<string>
  /** The last callback of each stream: kept, so its liveness at the end stays knowable. */
  lastOfStream: Set<string>
  end: number
  tasks: Map<string, TaskTruth>
  /** [older, newer, rule] for every pair a newer start made one purpose with an older running task. */
  supersessions: { older: string; newer: string; rule: 'shared_output' | 'shared_user_in_room' }[]
  streamLiveAt(streamId: string, t: number): boolean
  inputsAt(taskId: string, t: number): string[]
}

const RECONNECTABLE = new Set([1, 2, 4])

export function buildWorld(script: Script): World {
  const events: ZegoEvent[] = []
  const apiRecords = new Set<string>()
  const last = new Map<string, string>()
  const transitions = new Map<string, { at: number; live: boolean }[]>()
  const streams = new Map<
    string,
    { live: boolean; sid: string; closedAt: number; reason: number; n: number }
  >()
  const tasks = new Map<string, TaskTruth>()
  const supersessions: World['supersessions'] = []
  let seq = 0
  let mixSeq = 0
  let t = T0
  const stamp = () => (script.withSeq ? ++seq : null)
  const record = (streamId: string, at: number, live: boolean, event: ZegoEvent) => {
    events.push(event)
    last.set(streamId, event.id)
    transitions.set(streamId, [...(transitions.get(streamId) ?? []), { at, live }])
  }
  const liveStreams = (mask: number) =>
    [...Array(STREAMS).keys()]
      .filter((i) => mask & (1 << i))
      .map((i) => `s${i}`)
      .filter((id) => streams.get(id)?.live)
  const running = (task: TaskTruth | undefined) => task !== undefined && task.stoppedAt === null

  const prelude: [Action, number][] = [...Array(STREAMS).keys()]
    .filter((i) => script.prelude & (1 << i))
    .map((stream) => [{ kind: 'publish', stream, reconnect: false }, 1_000])
  for (const [action, gap] of [...prelude, ...script.steps]) {
    t += gap
    switch (action.kind) {
      case 'publish': {
        const id = `s${action.stream}`
        const s = streams.get(id)
        if (s?.live) break
        const reconnect =
          s !== undefined && action.reconnect && RECONNECTABLE.has(s.reason) && t - s.closedAt < 90_000
        const n = (s?.n ?? 0) + (reconnect ? 0 : 1)
        const sid = `${id}-${n}`
        streams.set(id, { live: true, sid, closedAt: 0, reason: 0, n })
        record(id, t, true, created({ streamId: id, sid, at: t, seq: stamp(), recreate: reconnect }))
        break
      }
      case 'unpublish': {
        const id = `s${action.stream}`
        const s = streams.get(id)
        if (!s?.live) break
        Object.assign(s, { live: false, closedAt: t, reason: action.reason })
        record(id, t, false, closed({ streamId: id, sid: s.sid, at: t, seq: stamp(), reason: action.reason }))
        break
      }
      case 'start': {
        const taskId = `t${action.task}`
        const inputs = liveStreams(action.inputs)
        if (tasks.has(taskId) || inputs.length === 0) break // ZEGO refuses a start with a missing input
        const truth: TaskTruth = {
          taskId,
          startAt: t,
          userId: `u${action.user}`,
          roomId: action.room,
          output: `out${action.output}`,
          url: action.url,
          inputs: [{ at: t, streams: inputs }],
          stoppedAt: null,
        }
        for (const other of tasks.values()) {
          if (!running(other)) continue
          if (other.output === truth.output)
            supersessions.push({ older: other.taskId, newer: taskId, rule: 'shared_output' })
          if (other.userId === truth.userId && other.roomId === truth.roomId) {
            supersessions.push({ older: other.taskId, newer: taskId, rule: 'shared_user_in_room' })
          }
        }
        tasks.set(taskId, truth)
        const refs = [
          ...inputs,
          ...(action.url ? [{ streamId: null, streamUrl: `rtmp://cdn.example/${taskId}` }] : []),
        ]
        const api = startMix({
          taskId,
          at: t,
          inputs: refs,
          outputs: [truth.output],
          userId: truth.userId,
          roomId: truth.roomId,
          sequence: 1,
        })
        apiRecords.add(api.id)
        events.push(api)
        events.push(
          mixStarted({
            taskId,
            at: t + 300,
            roomId: truth.roomId,
            userId: truth.userId,
            output: truth.output,
            seq: ++mixSeq,
          }),
        )
        break
      }
      case 'update': {
        const task = tasks.get(`t${action.task}`)
        const inputs = liveStreams(action.inputs)
        if (!running(task) || task === undefined || inputs.length === 0) break
        task.inputs.push({ at: t, streams: inputs })
        const refs = [
          ...inputs,
          ...(task.url ? [{ streamId: null, streamUrl: `rtmp://cdn.example/${task.taskId}` }] : []),
        ]
        const api = startMix({
          taskId: task.taskId,
          at: t,
          inputs: refs,
          outputs: [task.output],
          userId: task.userId,
          roomId: task.roomId,
          sequence: task.inputs.length,
        })
        apiRecords.add(api.id)
        events.push(api)
        break
      }
      case 'stop': {
        const task = tasks.get(`t${action.task}`)
        if (!running(task) || task === undefined) break
        task.stoppedAt = t
        const api = stopMix({ taskId: task.taskId, at: t, userId: task.userId, roomId: task.roomId })
        apiRecords.add(api.id)
        events.push(api)
        events.push(mixStopped({ taskId: task.taskId, at: t + 300, roomId: task.roomId, seq: ++mixSeq }))
        break
      }
    }
  }
  t += 1_000
  if (script.roomClose) {
    for (const [id, s] of streams) {
      if (!s.live) continue
      s.live = false
      record(id, t, false, closed({ streamId: id, sid: s.sid, at: t, seq: stamp(), reason: 5 }))
    }
    events.push(roomClosed({ at: t }))
  }
  const end = t + 1_000

  const streamLiveAt = (streamId: string, at: number): boolean => {
    let live = false
    for (const step of transitions.get(streamId) ?? []) if (step.at <= at) live = step.live
    return live
  }
  return {
    events,
    apiRecords,
    lastOfStream: new Set(last.values()),
    end,
    tasks,
    supersessions,
    streamLiveAt,
    inputsAt(taskId, at) {
      let current: string[] = []
      for (const step of tasks.get(taskId)?.inputs ?? []) if (step.at <= at) current = step.streams
      return current
    },
  }
}

/** A tiny seeded PRNG (mulberry32), so a delivery plan shrinks with its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = a
    x = Math.imul(x ^ (x >>> 15), x | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
