import type { Command, CommandDecision, Outcome, OutcomeErrorCode } from '@mixguard/contracts'
import type { Backoff, Clock, Timers } from '@mixguard/time'
import { retryZegoCall, type ZegoClient, type ZegoError, type ZegoOutcome } from '@mixguard/zego-api'
import {
  type CoreInput,
  ROOM_CHECK_INTERVAL_MS,
  ROOM_LIST_ATTEMPTS,
  UNCONFIRMED_STOP_MIN_WAIT_MS,
} from '../core/index.ts'
import { type Executor, isRead } from '../shell-ports.ts'

export interface ExecutorOptions {
  /** The ZEGO client for an app, or undefined when no credentials are configured for it. */
  clientFor: (appId: number) => ZegoClient | undefined
  /** Appends an outcome to the outcomes topic. */
  record: (outcome: Outcome, decision: CommandDecision) => Promise<void>
  /**
   * Feeds what was learned back into the app's state (through the shell, under the app's partition
   * lock), while its outcome is being recorded: `recorded` resolves once the outcome is durable, and
   * nothing decided on the input may be acted on before.
   */
  feedback: (appId: number, input: CoreInput, recorded: Promise<void>) => Promise<void>
  clock: Clock
  timers: Timers
  random?: () => number
  /** Our own retries of retryable failures (the client makes one attempt per call). */
  retry?: Partial<Backoff & { attempts: number }>
  onError?: (error: unknown, decision: CommandDecision) => void
}

/** What a successful call feeds back into the core, given the outcome recorded for it. */
type Learned = (result: Outcome) => CoreInput

type Call = {
  action: Command['call']
  /** The outcome's result when ZEGO answers success. */
  success: Extract<Outcome['result'], 'stopped' | 'still_running' | 'observed'>
  run: (client: ZegoClient, signal: AbortSignal) => Promise<ZegoOutcome<Learned>>
  /** The shortest wait before a retry, whatever the backoff draws (ZEGO's per-room list limit). */
  minRetryDelayMs?: number
  /** Attempts in all, when fewer than the executor's default. */
  attempts?: number
}

/**
 * How long a finished call's answer is kept for its decision submitted again. A decision is submitted
 * again only while it is pending in the state: its answer was fed back into a partition that had been
 * suspended meanwhile (a lapsed session lease under load) and was dropped. ZEGO is not asked twice:
 * a second list of a room within 10 s would be refused, and a stop is not repeated. Long enough for a
 * group to settle and the partition to resume; afterwards (or the second time) the call runs again.
 */
const ANSWER_MEMORY_MS = UNCONFIRMED_STOP_MIN_WAIT_MS

const asOutcome: Learned = (result) => ({ kind: 'outcome', outcome: result })

function learned<T>(answer: ZegoOutcome<T>, learn: (data: T) => Learned): ZegoOutcome<Learned> {
  return answer.ok ? { ok: true, data: learn(answer.data), requestId: answer.requestId } : answer
}

/** The call a command stands for: the command carries everything it needs, the lane included. */
function callFor(command: Command): Call {
  const { lane } = command
  switch (command.call) {
    case 'StopMix': {
      const request = { TaskId: command.taskId, ...(command.userId ? { UserId: command.userId } : {}) }
      return {
        action: command.call,
        success: 'stopped',
        run: async (client, signal) =>
          learned(await client.stopMix(request, { lane, signal }), () => asOutcome),
      }
    }
    case 'GetMixTaskInfo':
      return {
        action: command.call,
        success: 'still_running',
        run: async (client, signal) =>
          learned(await client.getMixTaskInfo({ TaskId: command.taskId }, { lane, signal }), () => asOutcome),
      }
    case 'DescribeSimpleStreamList':
      return {
        action: command.call,
        success: 'observed',
        run: async (client, signal) =>
          learned(
            await client.describeSimpleStreamList({ RoomId: command.roomId }, { lane, signal }),
            (data) => (result) => ({
              kind: 'room_streams',
              roomId: command.roomId,
              streamIds: data.StreamList.map((s) => s.StreamId),
              observedAt: result.at,
            }),
          ),
        // ZEGO answers a second list of one room within 10 s with a rate-limit code, and the
        // unconfirmed fallback (UNCONFIRMED_STOP_MIN_WAIT_MS) counts on these lists.
        minRetryDelayMs: ROOM_CHECK_INTERVAL_MS,
        attempts: ROOM_LIST_ATTEMPTS,
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
    decision: CommandDecision,
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

  /** Recorded answers by decision id, oldest first (see ANSWER_MEMORY_MS). */
  const answered = new Map<string, { at: number; input: CoreInput }>()
  const recall = (decisionId: string): CoreInput | undefined => {
    const now = clock.now()
    for (const [id, answer] of answered) {
      if (answer.at > now - ANSWER_MEMORY_MS) break
      answered.delete(id)
    }
    // Once: should it be dropped again, or the core decide the same decision again, ZEGO is asked.
    const input = answered.get(decisionId)?.input
    answered.delete(decisionId)
    return input
  }

  /**
   * Records the outcome and feeds the answer back at once: the shell decides on it while the outcome is
   * on its way to Kafka, so the stop a list confirms can share the outcome's produce request instead of
   * waiting a round trip behind it.
   */
  async function finish(decision: CommandDecision, result: Outcome, input: CoreInput): Promise<void> {
    const recorded = options.record(result, decision)
    const fed = options.feedback(decision.appId, input, recorded)
    await recorded
    answered.delete(decision.id)
    answered.set(decision.id, { at: clock.now(), input })
    await fed
  }

  /**
   * Runs the decision's call. `landed` (undefined: landed already) says whether the decision made it to
   * the decisions topic: a call that changes ZEGO waits for it; a read goes out at once, and what it
   * brings is dated when ZEGO answered but recorded and fed back only once the decision landed.
   */
  async function execute(
    decision: CommandDecision,
    signal: AbortSignal,
    landed: Promise<boolean> | undefined,
  ): Promise<void> {
    const earlier = recall(decision.id)
    if (earlier !== undefined) {
      if (landed === undefined || (await landed))
        await options.feedback(decision.appId, earlier, Promise.resolve())
      return
    }
    const call = callFor(decision.command)
    if (landed !== undefined && !isRead(decision.command) && !(await landed)) return
    const answered = await ask(decision, call, signal, landed)
    if (answered === undefined || (landed !== undefined && !(await landed)) || signal.aborted) return
    await finish(decision, answered.result, answered.input)
  }

  /** The call's outcome and what it feeds back, or undefined when it was abandoned. */
  async function ask(
    decision: CommandDecision,
    call: Call,
    signal: AbortSignal,
    landed: Promise<boolean> | undefined,
  ): Promise<{ result: Outcome; input: CoreInput } | undefined> {
    const client = options.clientFor(decision.appId)
    if (client === undefined) {
      const result = outcome(decision, call, 'failed_permanent', 0, undefined, 'NO_CREDENTIALS')
      return { result, input: asOutcome(result) }
    }
    const { outcome: answer, attempts: attempt } = await retryZegoCall(() => call.run(client, signal), {
      ...policy,
      attempts: Math.min(policy.attempts, call.attempts ?? policy.attempts),
      minDelayMs: call.minRetryDelayMs ?? 0,
      timers,
      random,
      signal,
      onRetry: async (error, attempt) => {
        const retrying = outcome(decision, call, 'retrying', attempt, error)
        if (landed === undefined || (await landed)) await options.record(retrying, decision)
      },
    })
    if (signal.aborted) return undefined
    if (answer.ok) {
      const result = outcome(decision, call, call.success, attempt)
      return { result, input: answer.data(result) }
    }
    const error = answer.error
    if (error.code === 'ZEGO_ABORTED') return undefined
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
    return { result, input: asOutcome(result) }
  }

  return {
    submit(decision, landing) {
      if (decision.action === 'would_stop' || running.has(decision.id)) return
      const controller = new AbortController()
      const entry = { appId: decision.appId, controller, done: Promise.resolve() }
      // A decision whose publish failed is forgotten at once, as cancel() does: its call is given up and
      // its answer dropped, and the same decision, decided again, runs again.
      const landed = landing?.then(
        () => true,
        () => {
          if (running.get(decision.id) === entry) {
            controller.abort()
            running.delete(decision.id)
            settle()
          }
          return false
        },
      )
      entry.done = execute(decision, controller.signal, landed)
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
