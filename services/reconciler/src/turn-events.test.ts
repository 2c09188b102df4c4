import type { Decision, ZegoEvent } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { type AppState, decide, emptyState } from './core/index.ts'
import { APP, closed, created, policyWith, startMix, T0 } from './core/test-kit.ts'
import type { StoredApp } from './shell-ports.ts'
import { decideTurnEvents, type TurnEvent } from './turn-events.ts'

const OTHER = APP + 1
const policy = policyWith({})
const of = (appId: number, event: ZegoEvent): ZegoEvent => ({ ...event, appId })

/** Two apps' events interleaved: in each, a task, a newer one sharing its output (a stop at once), a close. */
function turn(): ZegoEvent[] {
  const events: ZegoEvent[] = []
  for (const appId of [APP, OTHER]) {
    events.push(of(appId, created({ streamId: 's1', at: T0, seq: 1 })))
    events.push(of(appId, startMix({ taskId: 'a', at: T0 + 1_000, inputs: ['s1'], outputs: ['o1'] })))
  }
  for (const appId of [OTHER, APP]) {
    events.push(of(appId, startMix({ taskId: 'b', at: T0 + 2_000, inputs: ['s1'], outputs: ['o1'] })))
    events.push(of(appId, closed({ streamId: 's1', at: T0 + 3_000, seq: 2 })))
  }
  return events
}

/** What deciding them one at a time in the turn's order gives, skipping the places in `skip`. */
function oneByOne(events: ZegoEvent[], now: number, skip: ReadonlySet<number> = new Set()) {
  const states = new Map<number, AppState>()
  const decisions: Decision[] = []
  events.forEach((event, at) => {
    if (skip.has(at)) return
    const step = decide(
      states.get(event.appId) ?? emptyState(event.appId),
      { kind: 'event', event },
      now,
      policy,
    )
    states.set(event.appId, step.state)
    decisions.push(...step.decisions)
  })
  return { states, decisions }
}

const placed = (events: ZegoEvent[]): TurnEvent[] =>
  events.map((event, at) => ({ at, offset: String(100 + at), event }))
const fresh = (appId: number): StoredApp<AppState> => ({
  appId,
  appliedOffset: null,
  state: emptyState(appId),
})

describe("deciding a turn's events app by app", () => {
  it('gives the decisions, in the turn order, and the states of deciding them one at a time', () => {
    const events = turn()
    const now = T0 + 5_000
    const expected = oneByOne(events, now)
    const decided = decideTurnEvents(placed(events), fresh, now, () => policy)
    expect(expected.decisions.map((d) => d.appId)).toEqual([OTHER, APP])
    expect(decided.decisions).toEqual(expected.decisions)
    expect(decided.failures).toEqual([])
    expect(decided.apps.map((app) => [app.appId, app.appliedOffset])).toEqual([
      [APP, '107'],
      [OTHER, '105'],
    ])
    for (const app of decided.apps)
      expect(JSON.stringify(app.state)).toBe(JSON.stringify(expected.states.get(app.appId)))
  })

  it('sets aside only an event deciding throws on, the app going on as if it had not come', () => {
    const events = turn()
    // A record that passed decoding but that the core cannot decide (a defect): its body is missing.
    events.splice(3, 0, { ...(events[0] as ZegoEvent), body: null } as unknown as ZegoEvent)
    const now = T0 + 5_000
    const expected = oneByOne(events, now, new Set([3]))
    const decided = decideTurnEvents(placed(events), fresh, now, () => policy)
    expect(decided.failures.map((f) => [f.at, f.value.appId])).toEqual([[3, APP]])
    expect(decided.decisions).toEqual(expected.decisions)
    for (const app of decided.apps)
      expect(JSON.stringify(app.state)).toBe(JSON.stringify(expected.states.get(app.appId)))
  })
})
