import type { Decision } from '@mixguard/contracts'
import type { History } from './history.ts'
import {
  DEFAULT_MAX_IDLE_SEC,
  hasUrlInput,
  inputStreamIds,
  inputsEnd,
  maxIdleSec,
  mixguardStop,
  startBefore,
  taskFacts,
} from './task-runs.ts'

/** The counterfactual, stated in every report. */
export const SAVINGS_MODEL = [
  'Avoided mix-seconds = when ZEGO alone would have ended the task − when Mixguard’s StopMix took effect.',
  `ZEGO alone ends a task MaxIdleTime after its last input goes (the StartMix's MaxIdleTime, ${DEFAULT_MAX_IDLE_SEC} s when unset; inputs' end = the last stream_close, or room_close, of every input).`,
  'A task whose inputs are still live is never ended by ZEGO (e.g. a superseded task): it is counted up to now, and marked ongoing.',
  'Not estimated (counted, 0 avoided): tasks with unknown inputs (no StartMix recorded), URL inputs, or ZEGO saying the task was already gone.',
  'Assumptions: ZEGO bills a task from start to end; inputs that come back later would have reset ZEGO’s idle timer and are not modelled.',
] as const

export interface StoppedTask {
  taskId: string
  reason: Decision['reason']
  rule: string | null
  stoppedAt: number
  /** When ZEGO alone would have ended it; null when not estimated. */
  zegoWouldEndAt: number | null
  avoidedSec: number
  /** Inputs still live at the report's time: the avoided seconds keep growing. */
  ongoing: boolean
  note: string | null
}

export interface AppSavings {
  appId: number
  stoppedByReason: Record<string, number>
  /** Dry-run apps: what Mixguard would have stopped. */
  wouldStopByReason: Record<string, number>
  avoidedSec: number
  tasks: StoppedTask[]
}

export interface SavingsReport {
  since: number
  until: number
  model: readonly string[]
  apps: AppSavings[]
  totalAvoidedSec: number
}

/** Per app: tasks Mixguard stopped in [since, until] by reason, and the mix-seconds that saved. */
export function savingsReport(
  history: History,
  options: { since: number; until: number; appId?: number },
): SavingsReport {
  const byApp = new Map<number, AppSavings>()
  const app = (appId: number): AppSavings => {
    let entry = byApp.get(appId)
    if (entry === undefined) {
      entry = { appId, stoppedByReason: {}, wouldStopByReason: {}, avoidedSec: 0, tasks: [] }
      byApp.set(appId, entry)
    }
    return entry
  }
  const inWindow = (at: number) => at >= options.since && at <= options.until
  const wanted = (appId: number) => options.appId === undefined || appId === options.appId
  const seen = new Set<string>()
  for (const decision of history.decisions) {
    if (!wanted(decision.appId) || !inWindow(decision.decidedAt)) continue
    const key = JSON.stringify([decision.appId, decision.taskId])
    if (decision.action === 'would_stop') {
      const entry = app(decision.appId)
      entry.wouldStopByReason[decision.reason] = (entry.wouldStopByReason[decision.reason] ?? 0) + 1
      continue
    }
    if (decision.action !== 'stop' || seen.has(key)) continue
    const stopped = stoppedTask(history, decision.appId, decision.taskId, options.until)
    if (stopped === null) continue
    seen.add(key)
    const entry = app(decision.appId)
    entry.stoppedByReason[stopped.reason] = (entry.stoppedByReason[stopped.reason] ?? 0) + 1
    entry.avoidedSec += stopped.avoidedSec
    entry.tasks.push(stopped)
  }
  const apps = [...byApp.values()].sort((a, b) => a.appId - b.appId)
  return {
    since: options.since,
    until: options.until,
    model: SAVINGS_MODEL,
    apps,
    totalAvoidedSec: apps.reduce((sum, a) => sum + a.avoidedSec, 0),
  }
}

function stoppedTask(history: History, appId: number, taskId: string, until: number): StoppedTask | null {
  const facts = taskFacts(history, appId, taskId)
  const stop = mixguardStop(facts)
  if (stop === undefined) return null
  const { decision, outcome } = stop
  const base = { taskId, reason: decision.reason, rule: decision.rule, stoppedAt: outcome.at }
  const notEstimated = (note: string): StoppedTask => ({
    ...base,
    zegoWouldEndAt: null,
    avoidedSec: 0,
    ongoing: false,
    note,
  })
  if (outcome.result === 'already_gone') return notEstimated('ZEGO said the task was already gone')
  if (facts.starts.length === 0) return notEstimated('inputs unknown (no StartMix recorded)')
  if (hasUrlInput(facts)) return notEstimated('URL input: ZEGO sees no idleness')
  const start = startBefore(facts, outcome.at)
  const end = inputsEnd(history, appId, inputStreamIds(facts))
  if (end === null || end > until) {
    return {
      ...base,
      zegoWouldEndAt: null,
      avoidedSec: Math.max(0, (until - outcome.at) / 1000),
      ongoing: true,
      note: 'inputs still live: ZEGO would still bill it',
    }
  }
  const zegoWouldEndAt = end + maxIdleSec(start) * 1000
  return {
    ...base,
    zegoWouldEndAt,
    avoidedSec: Math.max(0, (zegoWouldEndAt - outcome.at) / 1000),
    ongoing: false,
    note: null,
  }
}
