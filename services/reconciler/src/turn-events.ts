import type { CommandDecision, ZegoEvent } from '@mixguard/contracts'
import { type AppPolicy, type AppState, decide, decideAll, type TimedInput } from './core/index.ts'
import type { StoredApp } from './shell-ports.ts'

/** An event of a turn: its place in the turn and its record's offset. */
export interface TurnEvent {
  at: number
  offset: string
  event: ZegoEvent
}

/** Something decided on a turn's event, at the event's place in the turn. */
export interface Placed<T> {
  at: number
  value: T
}

/**
 * Decides a turn's events as deciding them one at a time, in the turn's order, does: the apps' new
 * states (each with the offset of its last event decided), every decision in the turn's order, and the
 * events deciding threw on (set aside: the app goes on as if they had not come).
 *
 * The events of one app are decided in one batch (decideAll: one draft, each table's buckets copied
 * once per turn instead of once per event). An app's state depends on its own events alone, so this
 * changes nothing but the order decisions are made in, which their events' places restore. An app
 * whose batch throws is decided again one event at a time, from its state before the turn, so that
 * only the events that throw are set aside.
 */
export function decideTurnEvents(
  events: readonly TurnEvent[],
  appOf: (appId: number) => StoredApp<AppState>,
  now: number,
  policyFor: (appId: number) => AppPolicy,
): {
  apps: StoredApp<AppState>[]
  decisions: CommandDecision[]
  failures: Placed<{ appId: number; error: unknown }>[]
} {
  const byApp = new Map<number, TurnEvent[]>()
  for (const e of events) {
    const of = byApp.get(e.event.appId)
    if (of === undefined) byApp.set(e.event.appId, [e])
    else of.push(e)
  }
  const apps: StoredApp<AppState>[] = []
  const decisions: Placed<CommandDecision[]>[] = []
  const failures: Placed<{ appId: number; error: unknown }>[] = []
  for (const [appId, of] of byApp) {
    const app = appOf(appId)
    const inputs = of.map((e): TimedInput => ({ input: { kind: 'event', event: e.event }, now }))
    try {
      const step = decideAll(app.state, inputs, policyFor(appId))
      apps.push({ appId, appliedOffset: (of.at(-1) as TurnEvent).offset, state: step.state })
      for (const [i, value] of step.decisions.entries())
        decisions.push({ at: (of[i] as TurnEvent).at, value })
      continue
    } catch {
      // Deciding one of them throws (or reading the app's policy does): found below, one at a time.
    }
    let state = app.state
    let appliedOffset: string | null = null
    for (const e of of) {
      try {
        const step = decide(state, { kind: 'event', event: e.event }, now, policyFor(appId))
        state = step.state
        appliedOffset = e.offset
        decisions.push({ at: e.at, value: step.decisions })
      } catch (error) {
        failures.push({ at: e.at, value: { appId, error } })
      }
    }
    if (appliedOffset !== null) apps.push({ appId, appliedOffset, state })
  }
  decisions.sort((a, b) => a.at - b.at)
  failures.sort((a, b) => a.at - b.at)
  return { apps, decisions: decisions.flatMap((d) => d.value), failures }
}
