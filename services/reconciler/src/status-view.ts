import type { Decision, Outcome } from '@mixguard/contracts'
import type { SavingsReport } from '@mixguard/ops'
import type { AppState, TaskPhase } from './core/index.ts'
import { liveness } from './core/liveness.ts'
import { tget, tvalues } from './core/table.ts'

export interface InputView {
  ref: string
  /** null: nothing known about it (counts as live). */
  live: boolean | null
  /** Since when live, or when gone. */
  since: number | null
}

export interface TaskView {
  taskId: string
  phase: TaskPhase
  roomId: string | null
  userId: string | null
  /** null: unknown (no StartMix seen). */
  inputs: InputView[] | null
  supersededBy: string | null
  problem: string | null
}

export interface DeadlineView {
  taskId: string
  what: string
  at: number
}

export interface AppView {
  appId: number
  dryRun: boolean
  /** Whether this instance owns the app's partition (else its tasks are on another reconciler). */
  owned: boolean
  tasks: TaskView[]
  deadlines: DeadlineView[]
  budget: { limitPerSecond: number; callsLastMinute: number; waiting: number }
}

export interface StatusView {
  now: number
  apps: AppView[]
  decisions: Decision[]
  outcomes: Outcome[]
  savings: { report: SavingsReport | null; error: string | null; at: number | null }
}

/** One app's tasks (not ended), their inputs' liveness and armed deadlines, from its state. */
export function appTasks(state: AppState): { tasks: TaskView[]; deadlines: DeadlineView[] } {
  const tasks: TaskView[] = []
  const deadlines: DeadlineView[] = []
  for (const task of tvalues(state.tasks)) {
    if (task.phase === 'stopped') continue
    tasks.push({
      taskId: task.taskId,
      phase: task.phase,
      roomId: task.roomId,
      userId: task.userId,
      inputs:
        task.inputs?.map((input) => {
          if (input.streamId === null) return { ref: input.streamUrl ?? '?', live: null, since: null }
          const seen = liveness(tget(state.streams, input.streamId), state.rooms)
          return {
            ref: input.streamId,
            live: seen === null ? null : seen.live,
            since: seen === null ? null : seen.live ? seen.since : seen.goneAt,
          }
        }) ?? null,
      supersededBy: task.superseded?.by ?? null,
      problem: task.problem,
    })
    if (task.confirming !== null)
      deadlines.push({
        taskId: task.taskId,
        what: 'stop without a stream list (confirmation fallback)',
        at: task.confirming.fallbackAt,
      })
    else if (task.due.stopAt !== null)
      deadlines.push({
        taskId: task.taskId,
        what: `stop (${task.stopCause?.reason ?? 'orphan grace'})`,
        at: task.due.stopAt,
      })
    if (task.due.silentAt !== null)
      deadlines.push({ taskId: task.taskId, what: 'silence check', at: task.due.silentAt })
    if (task.verifyAt !== null && task.phase === 'stop_requested_ok')
      deadlines.push({ taskId: task.taskId, what: 'verify the stop', at: task.verifyAt })
  }
  tasks.sort((a, b) => a.taskId.localeCompare(b.taskId))
  deadlines.sort((a, b) => a.at - b.at)
  return { tasks, deadlines }
}
