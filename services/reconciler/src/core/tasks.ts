import type { EventOf, MixApiResponse, StreamRef } from '@mixguard/contracts'
import { assertNever as unreachable } from '@mixguard/contracts'
import { type Draft, writableTask } from './draft.ts'
import { applyExternalStop, applyStart, lifecycleRunning, type StartResult } from './lifecycle.ts'
import type { LifecycleFact, TaskRecord } from './model.ts'
import { sortedUnique } from './sorted-unique.ts'
import { observe } from './streams.ts'
import { SUPERSEDING_RUN_RULE } from './supersession.ts'
import { tget } from './table.ts'

/** `stream:<id>` / `url:<url>`: one key space for comparing outputs. */
function outputKeys(refs: readonly StreamRef[]): string[] {
  const keys: string[] = []
  for (const ref of refs) {
    if (ref.streamId) keys.push(`stream:${ref.streamId}`)
    if (ref.streamUrl) keys.push(`url:${ref.streamUrl}`)
  }
  return keys
}

function addOutputs(task: TaskRecord, keys: readonly string[]): void {
  task.outputs = sortedUnique([...task.outputs, ...keys])
}

/** Only a call ZEGO answered with Code 0 changed anything at ZEGO. */
function succeeded(response: MixApiResponse): boolean {
  return 'code' in response && response.code === 0
}

/**
 * `Sequence` fences stale updates: a StartMix with a lower Sequence than the one applied is ignored.
 * Without Sequence on both sides the request time decides.
 */
function isStaleUpdate(task: TaskRecord, sequence: number | null, at: number): boolean {
  if (task.inputsSequence !== null && sequence !== null) return sequence < task.inputsSequence
  return task.inputsAt !== null && at < task.inputsAt
}

/** The task ids whose run started or changed: the candidates for a supersession check. */
export type Started = { taskId: string; result: Exclude<StartResult, 'stale'> } | null

export function applyMixApiCall(d: Draft, event: EventOf<'mix_api_call'>, now: number): Started {
  const b = event.body
  if (!succeeded(b.response) || b.taskId === '') return null
  const fact: LifecycleFact = {
    at: event.occurredAt ?? event.receivedAt,
    seq: null,
    source: 'api',
    eventId: event.id,
  }
  switch (b.action) {
    case 'StartMix':
    case 'StartAutoMix': {
      const existing = tget(d.state.tasks, b.taskId)
      const staleUpdate =
        existing !== undefined && lifecycleRunning(existing) && isStaleUpdate(existing, b.sequence, fact.at)
      // Even a stale update tells when the run started at the latest.
      const result = applyStart(d, b.taskId, fact, now)
      if (result === 'stale') return null
      if (staleUpdate && result === 'same_run') return null
      const task = writableTask(d, b.taskId, now)
      task.confirmedRun = task.confirmedRun ?? { at: fact.at, by: 'start_mix' }
      // The accepted StartMix answers a pending "does it run?" of a supersession: nothing waits on its
      // GetMixTaskInfo any more (a held mix_stop still would), and a pending check holds back the
      // task's silence checks, the only way to find it orphaned once its inputs' last closes are lost.
      if (task.pending?.rule === SUPERSEDING_RUN_RULE && task.reportedStop === null) task.pending = null
      task.auto = b.action === 'StartAutoMix'
      task.roomId = b.roomId ?? task.roomId
      task.userId = b.userId ?? task.userId
      addOutputs(task, outputKeys(b.outputs))
      if (b.action === 'StartMix') {
        task.inputs = b.inputs.filter((ref) => ref.streamId !== null || ref.streamUrl !== null)
        task.inputsSequence = b.sequence
        task.inputsAt = fact.at
        task.inputsEventId = event.id
        // ZEGO refuses a StartMix whose inputs are missing (110200150): at the request time each one existed.
        for (const ref of task.inputs) {
          if (ref.streamId === null) continue
          const seen = {
            present: true,
            roomId: null,
            at: fact.at,
            receivedAt: event.receivedAt,
            evidence: event.id,
          }
          observe(d, ref.streamId, seen, now)
        }
      }
      return { taskId: b.taskId, result }
    }
    case 'StopMix':
    case 'StopAutoMix':
      applyExternalStop(d, b.taskId, fact, now)
      return null
    default:
      return unreachable(b.action)
  }
}

export function applyMixCallback(d: Draft, event: EventOf<'mix_started'>, now: number): Started {
  const b = event.body
  const fact: LifecycleFact = {
    at: event.occurredAt ?? event.receivedAt,
    seq: b.seq,
    source: 'callback',
    eventId: event.id,
  }
  const result = applyStart(d, b.taskId, fact, now)
  if (result === 'stale') return null
  const task = writableTask(d, b.taskId, now)
  // The StartMix request, when recorded, is the better source; the callback fills what it lacks.
  task.roomId = task.roomId ?? b.roomId
  task.userId = task.userId ?? b.initiatorUserId
  addOutputs(task, outputKeys([{ streamId: b.outputStreamId, streamUrl: b.outputUrl }]))
  return { taskId: b.taskId, result }
}
