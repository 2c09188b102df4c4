import type { CommandDecision } from '@mixguard/contracts'
import { supersededCause, supersessionEnabled } from './causes.ts'
import { emitStop, makeDecision } from './decisions.ts'
import { type Draft, purposeSharers, writableTask } from './draft.ts'
import { lifecycleRunning } from './lifecycle.ts'
import { CALLBACK_TIME_SLACK_MS } from './limits.ts'
import type { SupersessionRule, TaskRecord } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { tget } from './table.ts'

/**
 * The rule under which two tasks of one app are one purpose: a shared output (viewers pull it), or a
 * shared initiator UserId in the same room. A shared UserId across rooms is never one: many backends
 * start every task under one service UserId.
 */
function sharedRule(a: TaskRecord, b: TaskRecord, policy: AppPolicy): SupersessionRule | null {
  if (policy.supersession.sharedOutput && a.outputs.some((key) => b.outputs.includes(key)))
    return 'shared_output'
  if (
    policy.supersession.sharedUserInRoom &&
    a.userId !== null &&
    a.userId === b.userId &&
    a.roomId !== null &&
    a.roomId === b.roomId
  ) {
    return 'shared_user_in_room'
  }
  return null
}

/**
 * Which of two runs started first, or null when that cannot be told: request times recorded by the
 * passthrough are exact; callback times are whole seconds, so a gap under a second is no order.
 */
function olderOf(a: TaskRecord, b: TaskRecord): TaskRecord | null {
  if (a.run === null || b.run === null) return null
  const gap = a.run.precise && b.run.precise ? 1 : CALLBACK_TIME_SLACK_MS
  if (b.run.startedAt - a.run.startedAt >= gap) return a
  if (a.run.startedAt - b.run.startedAt >= gap) return b
  return null
}

/**
 * Called when a task's run started or changed. Whichever of it and each other running task started
 * first is superseded by the other (a task whose records arrive late may be the older one) and stopped
 * at once. Updates of one TaskId never supersede themselves: only distinct tasks are compared.
 */
export function checkSupersession(
  d: Draft,
  taskId: string,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
): void {
  const subject = tget(d.state.tasks, taskId)
  if (subject === undefined || subject.phase !== 'running') return
  // Only a task sharing an output or an initiator in the room can share a purpose with it.
  for (const otherId of [...purposeSharers(d, taskId)].sort()) {
    const other = tget(d.state.tasks, otherId)
    if (otherId === taskId || other === undefined || other.phase !== 'running') continue
    const current = tget(d.state.tasks, taskId)
    if (current === undefined || current.phase !== 'running') return
    const rule = sharedRule(current, other, policy)
    if (rule === null) continue
    const older = olderOf(current, other)
    if (older === null) continue
    const newer = older === current ? other : current
    supersede(d, older.taskId, newer, rule, now, policy, out)
  }
}

function supersede(
  d: Draft,
  olderId: string,
  newer: TaskRecord,
  rule: SupersessionRule,
  now: number,
  policy: AppPolicy,
  out: CommandDecision[],
): void {
  const older = writableTask(d, olderId, now)
  const previous = older.superseded === null ? undefined : tget(d.state.tasks, older.superseded.by)
  if (previous === undefined || !lifecycleRunning(previous)) {
    older.superseded = {
      by: newer.taskId,
      rule,
      eventIds: [...new Set([...(newer.run?.eventIds ?? []), ...(older.run?.eventIds ?? [])])].sort(),
      at: now,
    }
  }
  const s = older.superseded
  if (s === null || !supersessionEnabled(policy, s.rule)) return
  const by = tget(d.state.tasks, s.by)
  if (by === undefined) return
  const cause = supersededCause(s, by)
  if (cause !== null) emitStop(d.state.appId, older, cause, now, policy, out)
  else if (older.phase === 'running' && !policy.pinnedTaskIds.includes(older.taskId))
    askRun(d, by.taskId, older.taskId, now, out)
}

/**
 * Asks ZEGO whether a task that would supersede another runs (GetMixTaskInfo, in the urgent lane: the
 * stop waits on it), unless a decision about the task is already out: its outcome serves as well.
 * The answer comes back as an outcome (see outcomes.ts), which decides the supersession again.
 */
function askRun(d: Draft, taskId: string, supersedes: string, now: number, out: CommandDecision[]): void {
  const task = tget(d.state.tasks, taskId)
  if (task === undefined || task.pending !== null || task.phase !== 'running') return
  const decision = makeDecision(
    {
      appId: d.state.appId,
      taskId,
      action: 'verify',
      reason: 'superseded',
      rule: SUPERSEDING_RUN_RULE,
      evidence: {
        eventIds: task.run?.eventIds ?? [],
        deadline: null,
        supersededBy: null,
        note: `known from callbacks alone, it would supersede ${supersedes}: does it run?`,
      },
    },
    { call: 'GetMixTaskInfo', taskId },
    now,
  )
  writableTask(d, taskId, now).pending = decision
  out.push(decision)
}

/** The rule of the GetMixTaskInfo check of a superseding task known from callbacks alone. */
export const SUPERSEDING_RUN_RULE = 'superseding_run'
