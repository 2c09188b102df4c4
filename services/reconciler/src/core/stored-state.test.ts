import type { Decision, ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide } from './decide.ts'
import { type AppState, type CoreInput, emptyState, parseAppState } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { storedState, storedStateSteps } from './stored-state.ts'
import { bucketOf, tkeys, tvalues } from './table.ts'
import { policyArb } from './test-checks.ts'
import { APP, closed, created, driver, startMix, T0, v1Stored } from './test-kit.ts'
import { buildWorld, scriptArb } from './test-world.ts'

/** Ten tasks in five rooms (two initiators in each), their inputs closed unless `open`: every orphan deadline armed. */
function busy(open = false) {
  const d = driver()
  for (let i = 0; i < 10; i++) {
    const at = T0 + i * 1_000
    const roomId = `r${i % 5}`
    d.event(created({ streamId: `s${i}`, roomId, at, seq: i + 1 }))
    d.event(startMix({ taskId: `task-${i}`, at: at + 100, roomId, userId: `u${i}`, inputs: [`s${i}`] }))
  }
  if (!open)
    for (let i = 0; i < 10; i++)
      d.event(closed({ streamId: `s${i}`, roomId: `r${i % 5}`, at: T0 + 20_000, seq: 20 + i }))
  return d
}

const restored = (state: AppState) => parseAppState(JSON.parse(JSON.stringify(storedState(state))))

/** A world's events in order with a tick after each, restored through the stored form before step `at`. */
function run(events: ZegoEvent[], policy: AppPolicy, at: number | null) {
  let state = emptyState(APP)
  const decisions: Decision[] = []
  const states: AppState[] = []
  events.forEach((event, i) => {
    if (i === at) state = restored(state) ?? emptyState(APP)
    const now = event.receivedAt
    for (const input of [{ kind: 'event', event }, { kind: 'tick' }] as CoreInput[]) {
      const step = decide(state, input, now + 1, policy)
      state = step.state
      decisions.push(...step.decisions)
    }
    states.push(state)
  })
  return { decisions, states }
}

describe('the stored state', () => {
  it('is compact (v2): no keys, each string once, every other value a number', () => {
    const { state } = busy()
    const stored = JSON.parse(JSON.stringify(storedState(state)))
    expect(Object.keys(stored).sort()).toEqual(['data', 'json', 'strings', 'v'])
    expect(stored.v).toBe(2)
    expect(new Set(stored.strings).size).toBe(stored.strings.length)
    expect(stored.strings).toContain('task-3')
    expect(stored.strings).not.toContain('taskId')
    expect(stored.data.every((n: unknown) => typeof n === 'number')).toBe(true)
    expect(JSON.stringify(stored).length).toBeLessThan(JSON.stringify(state).length / 2)
  })

  it('restores to the same state, which decides the same from there on', () => {
    const d = busy()
    const back = restored(d.state)
    expect(back).toEqual(d.state)
    if (back === null) return
    const later = T0 + 3_600_000
    const policy = d.policy
    const { state: asked, decisions } = decide(back, { kind: 'tick' }, later, policy)
    expect({ state: asked, decisions }).toEqual(decide(d.state, { kind: 'tick' }, later, policy))
    expect(decisions).toHaveLength(5)
    // Its decisions pending (stored whole, with their commands) restore as well.
    expect(restored(asked)).toEqual(asked)
    expect(tvalues(asked.rooms).some((room) => room.pendingCheck !== null)).toBe(true)
  })

  it('is made in steps, one per bucket of each table, which give the same stored state', () => {
    const { state } = busy()
    const steps = storedStateSteps(state)
    let count = 0
    let step = steps.next()
    for (; !step.done; step = steps.next()) count++
    expect(step.value).toEqual(storedState(state))
    const buckets = [state.streams, state.tasks, state.rooms].flatMap((table) =>
      Object.values(table).filter((bucket) => bucket !== undefined),
    )
    expect(buckets.length).toBeGreaterThan(3)
    expect(count).toBe(buckets.length)
  })

  it('any state of a random world restores equal and decides on the same as if never stored', () => {
    fc.assert(
      fc.property(scriptArb, policyArb, fc.nat(), (script, policy, pick) => {
        const { events } = buildWorld(script)
        const at = events.length === 0 ? null : pick % events.length
        const straight = run(events, policy, null)
        for (const state of straight.states) expect(restored(state)).toEqual(state)
        expect(run(events, policy, at).decisions).toEqual(straight.decisions)
      }),
      { numRuns: 100 },
    )
  }, 60_000)

  it('reads the form versions before v2 stored (v1, tasks flat) and decides the same from it', () => {
    const d = busy()
    const back = parseAppState(v1Stored(d.state))
    expect(back).toEqual(d.state)
    if (back === null) return
    const later = T0 + 3_600_000
    expect(decide(back, { kind: 'tick' }, later, d.policy)).toEqual(
      decide(d.state, { kind: 'tick' }, later, d.policy),
    )
  })

  it('a compact state that is not whole or not right is refused, never half read', () => {
    const stored = JSON.parse(JSON.stringify(storedState(busy().state)))
    const variants = [
      { ...stored, data: stored.data.slice(0, -1) },
      { ...stored, data: [...stored.data, 0] },
      { ...stored, strings: stored.strings.slice(0, -1) },
      { ...stored, data: stored.data.map((n: number, i: number) => (i === 3 ? 'x' : n)) },
      { ...stored, data: stored.data.map((n: number, i: number) => (i === 1 ? 1e9 : n)) },
      { ...stored, strings: stored.strings.map((s: string, i: number) => (i === 0 ? 7 : s)) },
      { ...stored, json: undefined },
      { ...stored, data: [] },
    ]
    for (const [i, variant] of variants.entries()) expect([i, parseAppState(variant)]).toEqual([i, null])
    expect(parseAppState(stored)).not.toBeNull()
  })

  it('an input that writes one task copies its bucket, not the others', () => {
    const d = busy(true)
    d.event(created({ streamId: 'new', roomId: 'r-new', at: T0 + 15_000, seq: 1 }))
    const before = d.state
    d.event(
      startMix({ taskId: 'task-new', at: T0 + 15_100, roomId: 'r-new', userId: 'u-new', inputs: ['new'] }),
    )
    expect(tkeys(d.state.tasks)).toHaveLength(11)
    const written = bucketOf('task-new')
    for (const name of Object.keys(before.tasks)) {
      if (name === written) expect(d.state.tasks[name]).not.toBe(before.tasks[name])
      else expect(d.state.tasks[name]).toBe(before.tasks[name])
    }
  })
})
