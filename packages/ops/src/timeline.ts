import type { Decision, Outcome, ZegoEvent } from '@mixguard/contracts'
import { eventTime, type History } from './history.ts'
import {
  hasUrlInput,
  inputStreamIds,
  inputsEnd,
  maxIdleSec,
  mixguardStop,
  rooms,
  type TaskFacts,
  taskFacts,
} from './task-runs.ts'

export interface TimelineEntry {
  at: number
  /** events, decisions, outcomes */
  source: 'event' | 'decision' | 'outcome'
  text: string
}

export interface Timeline {
  appId: number
  taskId: string
  entries: TimelineEntry[]
  /** One sentence: why the task was stopped, or why it is still running. */
  verdict: string
}

/** The story of one task as the topics tell it, oldest first, and the one-sentence answer. */
export function explainTask(history: History, appId: number, taskId: string): Timeline {
  const facts = taskFacts(history, appId, taskId)
  const inputs = new Set(inputStreamIds(facts))
  const taskRooms = new Set(rooms(facts))
  const entries: TimelineEntry[] = []
  const seen = facts.calls.length + facts.mixCallbacks.length + facts.decisions.length > 0
  for (const event of history.events) {
    if (event.appId !== appId) continue
    const text = describeEvent(event, taskId, inputs, taskRooms)
    if (text !== null) entries.push({ at: eventTime(event), source: 'event', text })
  }
  for (const decision of facts.decisions)
    entries.push({ at: decision.decidedAt, source: 'decision', text: describeDecision(decision) })
  for (const outcome of facts.outcomes)
    entries.push({ at: outcome.at, source: 'outcome', text: describeOutcome(outcome) })
  entries.sort((a, b) => a.at - b.at)
  return { appId, taskId, entries, verdict: seen ? verdict(history, facts) : unknownTask(appId, taskId) }
}

function describeEvent(
  event: ZegoEvent,
  taskId: string,
  inputs: ReadonlySet<string>,
  taskRooms: ReadonlySet<string>,
): string | null {
  switch (event.type) {
    case 'mix_api_call': {
      if (event.body.taskId !== taskId) return null
      const b = event.body
      const answer =
        'error' in b.response ? `no answer (${b.response.error})` : `ZEGO code ${b.response.code ?? 'none'}`
      const refs = (list: typeof b.inputs) => list.map((r) => r.streamId ?? r.streamUrl ?? '?').join(', ')
      if (b.action === 'StartMix')
        return `${b.action} by ${b.userId ?? 'unknown user'} in room ${b.roomId ?? '?'}: inputs [${refs(b.inputs)}], outputs [${refs(b.outputs)}], MaxIdleTime ${b.maxIdleTimeSec === null ? 'not set (90 s)' : `${b.maxIdleTimeSec} s`} → ${answer}`
      return `${b.action} by ${b.userId ?? 'the customer'} → ${answer}`
    }
    case 'mix_started':
    case 'mix_stopped':
      if (event.body.taskId !== taskId) return null
      return `callback ${event.type === 'mix_started' ? 'mix_start' : 'mix_stop'} (room ${event.body.roomId ?? '?'}, seq ${event.body.seq ?? '?'})`
    case 'stream_created':
      if (!inputs.has(event.body.streamId)) return null
      return `input ${event.body.streamId} live (stream_create in room ${event.body.roomId}${event.body.recreate ? ', recreated' : ''}): any orphan deadline is cancelled`
    case 'stream_closed':
      if (!inputs.has(event.body.streamId)) return null
      return `input ${event.body.streamId} gone (stream_close type ${event.body.closeReason}): its orphan grace starts; the deadline is armed once every input is gone`
    case 'room_closed':
      if (!taskRooms.has(event.body.roomId)) return null
      return `room ${event.body.roomId} closed (room_close reason ${event.body.closeReason})`
  }
}

function describeDecision(d: Decision): string {
  const evidence = [
    d.evidence.deadline === null ? null : `deadline ${new Date(d.evidence.deadline).toISOString()} expired`,
    d.evidence.supersededBy === null ? null : `superseded by ${d.evidence.supersededBy}`,
    d.evidence.note === null ? null : `note: ${d.evidence.note}`,
    `${d.evidence.eventIds.length} event(s) as evidence`,
  ].filter((part) => part !== null)
  const what =
    d.action === 'verify'
      ? `check (${d.rule === 'room_streams' ? 'list the room’s streams' : d.rule})`
      : d.action
  return `decision ${what}, reason ${d.reason}, rule ${d.rule ?? 'none'}: ${evidence.join('; ')} [${d.id.slice(0, 12)}]`
}

function describeOutcome(o: Outcome): string {
  const code = o.zegoCode === null ? '' : `, ZEGO code ${o.zegoCode}`
  const error = o.errorCode === null ? '' : `, error ${o.errorCode}`
  const call = o.action === 'DescribeSimpleStreamList' ? 'stream list (confirmation)' : o.action
  return `outcome ${call}: ${o.result} (attempt ${o.attempt}${code}${error}) [${o.decisionId.slice(0, 12)}]`
}

const iso = (ms: number) => new Date(ms).toISOString()

function verdict(history: History, facts: TaskFacts): string {
  const stop = mixguardStop(facts)
  const lastStart = facts.starts.at(-1)
  const customerStop = facts.calls.find(
    (c) =>
      c.body.action === 'StopMix' &&
      'code' in c.body.response &&
      c.body.response.code === 0 &&
      (lastStart === undefined || eventTime(c) >= eventTime(lastStart)),
  )
  if (stop !== undefined) {
    const { decision, outcome } = stop
    const how = outcome.result === 'already_gone' ? 'ZEGO said it was already gone' : 'StopMix succeeded'
    return `Stopped by Mixguard at ${iso(outcome.at)}: ${reasonSentence(decision)} (rule ${decision.rule}); ${how}.`
  }
  // Only the last stop decision's failure leaves the task to a person: one that gave up is stopped again.
  const lastStop = facts.decisions.filter((d) => d.action === 'stop').at(-1)
  const failed = facts.outcomes.find(
    (o) =>
      o.decisionId === lastStop?.id &&
      o.action === 'StopMix' &&
      (o.result === 'failed_permanent' || o.result === 'gave_up'),
  )
  if (failed !== undefined)
    return `Still running as far as Mixguard knows: it decided to stop it but StopMix ${failed.result === 'gave_up' ? 'kept failing and was given up' : 'failed permanently'} (${failed.errorCode ?? `ZEGO code ${failed.zegoCode}`}); a person must look.`
  if (customerStop !== undefined)
    return `Stopped by its owner with StopMix at ${iso(eventTime(customerStop))}, not by Mixguard.`
  const mixStop = facts.mixCallbacks.filter((c) => c.type === 'mix_stopped').at(-1)
  const mixStart = facts.mixCallbacks.filter((c) => c.type === 'mix_started').at(-1)
  if (mixStop !== undefined && (mixStart === undefined || eventTime(mixStop) >= eventTime(mixStart)))
    return `Ended by ZEGO at ${iso(eventTime(mixStop))} (mix_stop callback), not by Mixguard.`
  const wouldStop = facts.decisions.filter((d) => d.action === 'would_stop').at(-1)
  if (wouldStop !== undefined)
    return `Still running: its app is in dry run; Mixguard would have stopped it at ${iso(wouldStop.decidedAt)} because ${reasonSentence(wouldStop)}.`
  const pending = facts.decisions.filter((d) => d.action === 'stop').at(-1)
  if (pending !== undefined)
    return `Being stopped: Mixguard decided at ${iso(pending.decidedAt)} that ${reasonSentence(pending)} and has no final StopMix result yet.`
  if (facts.starts.length === 0)
    return 'Still running: no StartMix was recorded by the passthrough, so its inputs are unknown; only a room close (or an empty room, where enabled) can stop it.'
  if (hasUrlInput(facts))
    return 'Still running: it mixes a URL input, which gives no liveness signal, so it is never orphaned.'
  const streams = inputStreamIds(facts)
  const end = inputsEnd(history, facts.appId, streams)
  if (end === null)
    return `Still running: its inputs are live (${streams.join(', ')}) and no newer task took its output or its initiator's place in its room.`
  return `Still running: every input has been gone since ${iso(end)}; the orphan grace (and its confirmation) is under way, and ZEGO alone would end it at ${iso(end + maxIdleSec(lastStart) * 1000)}.`
}

function reasonSentence(d: Decision): string {
  switch (d.reason) {
    case 'orphaned':
      return 'every input had been gone for its grace (orphaned)'
    case 'superseded':
      return `a newer task, ${d.evidence.supersededBy ?? '?'}, ${d.rule === 'shared_output' ? 'publishes the same output' : 'has the same initiator in the same room'} (superseded)`
    case 'room_closed':
      return 'its room closed and its inputs are unknown (room_closed)'
    case 'room_empty':
      return 'its room had no live stream for the empty-room grace (room_empty)'
    case 'unconfirmed_stop':
      return 'its orphan could not be confirmed with a stream list in time (unconfirmed)'
    case 'silent':
      return 'it had no news for too long (silent)'
  }
}

function unknownTask(appId: number, taskId: string): string {
  return `Mixguard has no record of task ${taskId} in app ${appId}: no StartMix through the passthrough, no mix callback and no decision on the topics it can read (retention: 7 days of events).`
}
