import { type Decision, type EventOf, mixApiCallEvent, type Outcome } from '@mixguard/contracts'
import type { History } from './history.ts'

/** Hand-made topic contents for the tools' unit tests (one app, times in ms from 0 + T0). */
const APP = 4001
export const T0 = 1_800_000_000_000

export function startMix(taskId: string, at: number, inputs: string[], maxIdle: number | null = null) {
  return mixApiCallEvent({
    appId: APP,
    action: 'StartMix',
    request: {
      TaskId: taskId,
      UserId: 'u',
      RoomId: 'r',
      MixInput: inputs.map((StreamId) => ({ StreamId })),
      MixOutput: [{ StreamId: `${taskId}-out` }],
      ...(maxIdle === null ? {} : { MaxIdleTime: maxIdle }),
    },
    response: { httpStatus: 200, code: 0, message: 'ok', requestId: 'q' },
    requestedAt: T0 + at,
    receivedAt: T0 + at,
  })
}

export function streamEvent(
  type: 'stream_created' | 'stream_closed',
  streamId: string,
  at: number,
): EventOf<'stream_created' | 'stream_closed'> {
  const common = {
    roomId: 'r',
    roomSessionId: '1',
    streamId,
    streamSid: `${streamId}-sid`,
    userId: 'p',
    streamSeq: null,
    createTimeMs: T0,
  }
  const envelope = {
    v: 1 as const,
    id: `${type}-${streamId}-${at}`.padEnd(64, '0'),
    appId: APP,
    occurredAt: T0 + at,
    receivedAt: T0 + at,
    raw: {},
  }
  return type === 'stream_created'
    ? { ...envelope, type, body: { ...common, recreate: false } }
    : { ...envelope, type, body: { ...common, destroyTimeMs: T0 + at, closeReason: 0 } }
}

export function stop(
  taskId: string,
  at: number,
  reason: Decision['reason'],
  result: Outcome['result'] | null,
  action: Decision['action'] = 'stop',
): { decision: Decision; outcomes: Outcome[] } {
  const decision: Decision = {
    v: 1,
    id: `d-${taskId}`,
    appId: APP,
    taskId,
    action,
    reason,
    rule: reason === 'superseded' ? 'shared_output' : 'grace:normal_close',
    evidence: {
      eventIds: [],
      deadline: null,
      supersededBy: reason === 'superseded' ? 'newer' : null,
      note: null,
    },
    decidedAt: T0 + at,
  }
  const outcomes: Outcome[] =
    result === null
      ? []
      : [
          {
            v: 1,
            decisionId: decision.id,
            appId: APP,
            taskId,
            action: 'StopMix',
            result,
            zegoCode: 0,
            errorCode: null,
            attempt: 1,
            at: T0 + at + 100,
          },
        ]
  return { decision, outcomes }
}

export function history(parts: { events?: History['events']; stops?: ReturnType<typeof stop>[] }): History {
  return {
    events: parts.events ?? [],
    decisions: (parts.stops ?? []).map((s) => s.decision),
    outcomes: (parts.stops ?? []).flatMap((s) => s.outcomes),
    deadLetters: [],
    unreadable: 0,
  }
}
