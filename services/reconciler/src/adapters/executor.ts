import type { Decision, Outcome, OutcomeErrorCode } from '@mixguard/contracts'
import type { Backoff, Clock, Timers } from '@mixguard/time'
import {
  type Lane,
  retryZegoCall,
  type ZegoClient,
  type ZegoError,
  type ZegoOutcome,
} from '@mixguard/zego-api'
import {
  type CoreInput,
  isRoomList,
  ROOM_CHECK_INTERVAL_MS,
  ROOM_LIST_ATTEMPTS,
  ROOM_SWEEP_RULE,
} from '../core/index.ts'

/** What the executor needs to know about a task beyond the decision itself. */
export interface TaskContext {
  /** The initiator UserId: StopMix must carry it when ZEGO's task ownership is on. */
  userId: string | null
}

export interface ExecutorOptions {
  /** The ZEGO client for an app, or undefined when no credentials are configured for it. */
  clientFor: (appId: number) => ZegoClient | undefined
  /** Appends an outcome to the outcomes topic. */
  record: (outcome: Outcome, decision: Decision) => Promise<void>
  /** Feeds what was learned back into the app's state (through the shell, under the app's partition lock). */
  feedback: (appId: number, input: CoreInput) => Promise<void>
  clock: Clock
  timers: Timers
  random?: () => number
  /** Our own retries of retryable failures (the client makes one attempt per call). */
  retry?: Partial<Backoff & { attempts: number }>
  onError?: (error: unknown, decision: Decision) => void
}

export interface Executor {
  /** Carries a decision out once; a decision already in flight is not started twice. */
  submit(decision: Decision, context: TaskContext): void
  /** Abandons the work of apps this instance no longer owns (their new owner re-executes it). */
  cancel(appIds: Iterable<number>): void
  inFlight(): number
  /** Resolves when nothing is in flight (graceful shutdown). */
  drained(): Promise<void>
}

/**
 * Supersession first, then orphans, then verification calls (docs/architecture.md §6), then the room
 * sweep. The stream-list check that confirms an orphan before its stop is part of that stop, so it goes
 * with the orphans; the sweep's lists go last, so they never delay a confirmation.
 */
export function laneOf(decision: Decision): Lane {
  if (decision.reason === 'superseded') return 'urgent'
  if (decision.rule === ROOM_SWEEP_RULE) return 'idle'
  if (decision.action === 'verify' && decision.reason !== 'orphaned' && decision.reason !== 'room_empty')
    return 'background'
  return 'normal'
}

type Call = {
  action: Outcome['action']
  run: (client: ZegoClient, signal: AbortSignal) => Promise<ZegoOutcome<unknown>>
  /** The shortest wait before a retry, whatever the backoff draws (ZEGO's per-room list limit). */
  minRetryDelayMs?: number
  /** Attempts in all, when fewer than the executor's default. */
  attempts?: number
}

function callFor(decision: Decision, context: TaskContext): Call | null {
  const lane = laneOf(decision)
  switch (decision.action) {
    case 'would_stop':
      return null
    case 'stop':
      return {
        action: 'StopMix',
        run: (client, signal) =>
          client.stopMix(
            { TaskId: decision.taskId, ...(context.userId ? { UserId: context.userId } : {}) },
            { lane, signal },
          ),
      }
    case 'verify':
      if (isRoomList(decision)) {
        const roomId = decision.evidence.note ?? ''
        return {
          action: 'DescribeSimpleStreamList',
          run: (client, signal) => client.describeSimpleStreamList({ RoomId: roomId }, { lane, signal }),
          // ZEGO answers a second list of one room within 10 s with a rate-limit code, and the
          // unconfirmed fallback (UNCONFIRMED_STOP_MIN_WAIT_MS) counts on these lists.
          minRetryDelayMs: ROOM_CHECK_INTERVAL_MS,
          attempts: ROOM_LIST_ATTEMPTS,
        }
      }
      return {
        action: 'GetMixTaskInfo',
        run: (client, signal) => client.getMixTaskInfo({ TaskId: decision.taskId }, { lane, signal }),
      }
  }
}

export function createExecutor(options: ExecutorOptions): Executor {
  const { clock, timers } = options
  const random = options.random ?? Math.random
  const policy = {
    attempts: 6,
    baseDelayMs: 500,
    maxDelayMs: 15_000,
    jitter: 'full' as const,
    ...options.retry,
  }
  const running = new Map<string, { appId: number; controller: AbortController; done: Promise<void> }>()
  let idle: Array<() => void> = []
  const settle = () => {
    if (running.size > 0) return
    for (const resolve of idle) resolve()
    idle = []
  }

  const outcome = (
    decision: Decision,
    call: Call,
    result: Outcome['result'],
    attempt: number,
    error?: ZegoError,
    errorCode: OutcomeErrorCode | null = error?.code ?? null,
  ): Outcome => ({
    v: 1,
    decisionId: decision.id,
    appId: decision.appId,
    taskId: decision.taskId,
    action: call.action,
    result,
    zegoCode: error?.zegoCode ?? null,
    errorCode,
    attempt,
    at: clock.now(),
  })

  async function finish(decision: Decision, result: Outcome, input: CoreInput): Promise<void> {
    await options.record(result, decision)
    await options.feedback(decision.appId, input)
  }

  async function execute(decision: Decision, context: TaskContext, signal: AbortSignal): Promise<void> {
    const call = callFor(decision, context)
    if (call === null) return
    const client = options.clientFor(decision.appId)
    if (client === undefined) {
      const result = outcome(decision, call, 'failed_permanent', 0, undefined, 'NO_CREDENTIALS')
      await finish(decision, result, { kind: 'outcome', outcome: result })
      return
    }
    const { outcome: answer, attempts: attempt } = await retryZegoCall(() => call.run(client, signal), {
      ...policy,
      attempts: Math.min(policy.attempts, call.attempts ?? policy.attempts),
      minDelayMs: call.minRetryDelayMs ?? 0,
      timers,
      random,
      signal,
      onRetry: (error, attempt) =>
        options.record(outcome(decision, call, 'retrying', attempt, error), decision),
    })
    if (signal.aborted) return
    if (answer.ok) {
      if (call.action === 'DescribeSimpleStreamList') {
        const streams = (answer.data as { StreamList: Array<{ StreamId: string }> }).StreamList
        const result = outcome(decision, call, 'observed', attempt)
        await finish(decision, result, {
          kind: 'room_streams',
          roomId: decision.evidence.note ?? '',
          streamIds: streams.map((s) => s.StreamId),
          observedAt: result.at,
        })
      } else {
        const result = outcome(
          decision,
          call,
          call.action === 'StopMix' ? 'stopped' : 'still_running',
          attempt,
        )
        await finish(decision, result, { kind: 'outcome', outcome: result })
      }
      return
    }
    const error = answer.error
    if (error.code === 'ZEGO_ABORTED') return
    const result = outcome(
      decision,
      call,
      error.errorClass === 'task_not_found'
        ? 'already_gone'
        : error.retryable
          ? 'gave_up'
          : 'failed_permanent',
      attempt,
      error,
    )
    await finish(decision, result, { kind: 'outcome', outcome: result })
  }

  return {
    submit(decision, context) {
      if (decision.action === 'would_stop' || running.has(decision.id)) return
      const controller = new AbortController()
      const entry = { appId: decision.appId, controller, done: Promise.resolve() }
      entry.done = execute(decision, context, controller.signal)
        .catch((error: unknown) => options.onError?.(error, decision))
        .finally(() => {
          if (running.get(decision.id) === entry) running.delete(decision.id)
          settle()
        })
      running.set(decision.id, entry)
    },
    cancel(appIds) {
      const apps = new Set(appIds)
      // Forgotten at once, not when the aborted call unwinds: the same decision submitted again (the
      // partition resumed here) must run, not be taken for the one being abandoned.
      for (const [id, entry] of running)
        if (apps.has(entry.appId)) {
          entry.controller.abort()
          running.delete(id)
        }
      settle()
    },
    inFlight: () => running.size,
    drained: () => (running.size === 0 ? Promise.resolve() : new Promise((resolve) => idle.push(resolve))),
  }
}
