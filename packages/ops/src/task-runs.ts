import type { Decision, EventOf, Outcome, ZegoEvent } from '@mixguard/contracts'
import { eventTime, type History } from './history.ts'

/** ZEGO ends a task this long after its last input goes when StartMix set no MaxIdleTime (docs/zego.md §8). */
export const DEFAULT_MAX_IDLE_SEC = 90

export type StartMixCall = EventOf<'mix_api_call'>

/** Everything the topics hold about one task of one app. */
export interface TaskFacts {
  appId: number
  taskId: string
  /** Successful StartMix calls (ZEGO answered Code 0), oldest first: each names the inputs. */
  starts: StartMixCall[]
  /** Every mix-API call for the task (StartMix, StopMix, refused ones too). */
  calls: StartMixCall[]
  mixCallbacks: EventOf<'mix_started' | 'mix_stopped'>[]
  decisions: Decision[]
  outcomes: Outcome[]
}

const isCall = (e: ZegoEvent): e is StartMixCall => e.type === 'mix_api_call'
const succeeded = (call: StartMixCall) => 'code' in call.body.response && call.body.response.code === 0

export function taskFacts(history: History, appId: number, taskId: string): TaskFacts {
  const calls = history.events.filter(
    (e): e is StartMixCall => e.appId === appId && isCall(e) && e.body.taskId === taskId,
  )
  return {
    appId,
    taskId,
    starts: calls.filter((c) => c.body.action === 'StartMix' && succeeded(c)),
    calls,
    mixCallbacks: history.events.filter(
      (e): e is EventOf<'mix_started' | 'mix_stopped'> =>
        e.appId === appId &&
        (e.type === 'mix_started' || e.type === 'mix_stopped') &&
        e.body.taskId === taskId,
    ),
    decisions: history.decisions.filter((d) => d.appId === appId && d.taskId === taskId),
    outcomes: history.outcomes.filter((o) => o.appId === appId && o.taskId === taskId),
  }
}

/** The stream ids a task mixes, from its StartMix calls (URL inputs have none). */
export function inputStreamIds(facts: TaskFacts): string[] {
  const ids = new Set<string>()
  for (const start of facts.starts)
    for (const input of start.body.inputs) if (input.streamId !== null) ids.add(input.streamId)
  return [...ids]
}

export function hasUrlInput(facts: TaskFacts): boolean {
  return facts.starts.some((s) => s.body.inputs.some((i) => i.streamId === null && i.streamUrl !== null))
}

export function rooms(facts: TaskFacts): string[] {
  const ids = new Set<string>()
  for (const start of facts.starts) if (start.body.roomId !== null) ids.add(start.body.roomId)
  for (const callback of facts.mixCallbacks) if (callback.body.roomId !== null) ids.add(callback.body.roomId)
  return [...ids]
}

/** The StartMix in force at `at`: the latest successful one before it. */
export function startBefore(facts: TaskFacts, at: number): StartMixCall | undefined {
  return facts.starts.filter((s) => eventTime(s) <= at).at(-1) ?? facts.starts.at(-1)
}

export function maxIdleSec(start: StartMixCall | undefined): number {
  return start?.body.maxIdleTimeSec ?? DEFAULT_MAX_IDLE_SEC
}

/** The first StopMix of ours that ZEGO took (stopped, or the task was already gone), with its decision. */
export function mixguardStop(facts: TaskFacts): { decision: Decision; outcome: Outcome } | undefined {
  for (const outcome of facts.outcomes) {
    if (outcome.action !== 'StopMix' || (outcome.result !== 'stopped' && outcome.result !== 'already_gone'))
      continue
    const decision = facts.decisions.find((d) => d.id === outcome.decisionId)
    if (decision) return { decision, outcome }
  }
  return undefined
}

/** When each input was last seen going (close or room close), or null while any of them is live. */
export function inputsEnd(history: History, appId: number, streamIds: readonly string[]): number | null {
  let end = Number.NEGATIVE_INFINITY
  for (const streamId of streamIds) {
    const gone = streamGoneAt(history, appId, streamId)
    if (gone === null) return null
    end = Math.max(end, gone)
  }
  return streamIds.length === 0 ? null : end
}

/** When a stream went for the last time, or null when its last fact says it is live (or none is known). */
function streamGoneAt(history: History, appId: number, streamId: string): number | null {
  let live = false
  let goneAt: number | null = null
  let room: { roomId: string; session: string } | null = null
  for (const event of history.events) {
    if (event.appId !== appId) continue
    if (event.type === 'stream_created' && event.body.streamId === streamId) {
      live = true
      goneAt = null
      room = { roomId: event.body.roomId, session: event.body.roomSessionId }
    } else if (event.type === 'stream_closed' && event.body.streamId === streamId) {
      live = false
      goneAt = event.body.destroyTimeMs ?? eventTime(event)
    } else if (
      event.type === 'room_closed' &&
      live &&
      room?.roomId === event.body.roomId &&
      room.session === event.body.roomSessionId
    ) {
      live = false
      goneAt = event.body.closeTimeMs ?? eventTime(event)
    }
  }
  return live ? null : goneAt
}
