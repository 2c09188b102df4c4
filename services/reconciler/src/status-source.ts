import type { SavingsReport } from '@mixguard/ops'
import type { StoredApp } from './adapters/state-store.ts'
import type { AppPolicy, AppState } from './core/index.ts'
import type { RecentLog } from './recent-log.ts'
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

/** Renders the page from the live state: read-only, nothing on it changes anything. */
export function createStatusSource(deps: StatusDeps): () => Promise<string> {
  return async () => {
    const savings = await deps.savings()
    const now = deps.now()
    const states = new Map([...deps.states()].map((app) => [app.appId, app.state]))
    const apps: AppView[] = deps.appIds.map((appId) => {
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
    return statusPage({
      now,
      apps,
      decisions: deps.recent.decisions,
      outcomes: deps.recent.outcomes,
      savings,
    })
  }
}
