import type { SavingsReport } from '@mixguard/ops'
import type { AppPolicy, AppState } from './core/index.ts'
import type { RecentLog } from './recent-log.ts'
import type { StoredApp } from './shell-ports.ts'
import { statusPage } from './status-page.ts'
import { type AppView, appTasks } from './status-view.ts'

/** Everything the status page reads, as functions of the running reconciler. */
export interface StatusDeps {
  now: () => number
  appIds: readonly number[]
  policyFor: (appId: number) => AppPolicy
  states: () => Iterable<StoredApp<AppState>>
  budget: { limitPerSecond: number; waiting: (appId: number) => number }
  recent: RecentLog
  savings: () => Promise<{ report: SavingsReport | null; error: string | null; at: number | null }>
}

/** The live state for the page and for `explain --reconciler`: read-only, nothing changes anything. */
export interface StatusSource {
  /** The HTML page. */
  html(): Promise<string>
  /** Apps, their running tasks and armed deadlines, as JSON (`GET /status.json`). */
  json(): { now: number; apps: AppView[] }
}

export function createStatusSource(deps: StatusDeps): StatusSource {
  const apps = (now: number): AppView[] => {
    const states = new Map([...deps.states()].map((app) => [app.appId, app.state]))
    return deps.appIds.map((appId) => {
      const state = states.get(appId)
      const { tasks, deadlines } = state ? appTasks(state) : { tasks: [], deadlines: [] }
      return {
        appId,
        dryRun: deps.policyFor(appId).dryRun,
        owned: state !== undefined,
        tasks,
        deadlines,
        budget: {
          limitPerSecond: deps.budget.limitPerSecond,
          callsLastMinute: deps.recent.callsSince(appId, now - 60_000),
          waiting: deps.budget.waiting(appId),
        },
      }
    })
  }
  return {
    async html() {
      const savings = await deps.savings()
      const now = deps.now()
      return statusPage({
        now,
        apps: apps(now),
        decisions: deps.recent.decisions,
        outcomes: deps.recent.outcomes,
        savings,
      })
    },
    json() {
      const now = deps.now()
      return { now, apps: apps(now) }
    },
  }
}
