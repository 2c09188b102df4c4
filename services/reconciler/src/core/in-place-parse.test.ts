import { describe, expect, it } from 'vitest'
import { decide } from './decide.ts'
import { inPlaceParser } from './in-place-parse.ts'
import { type AppState, type CoreInput, emptyState } from './model.ts'
import { AppStateSchema } from './state-schema.ts'
import { APP, closed, created, mixStarted, policyWith, roomClosed, startMix, T0 } from './test-kit.ts'

/** Every state along a history with stops pending, room checks, closed rooms and supersession. */
function states(): AppState[] {
  const inputs: Array<[CoreInput, number]> = [
    [{ kind: 'event', event: created({ streamId: 's1', at: T0, seq: 1 }) }, T0],
    [{ kind: 'event', event: created({ streamId: 's2', at: T0 + 1, seq: 2 }) }, T0 + 1],
    [
      {
        kind: 'event',
        event: startMix({ taskId: 'a', at: T0 + 1_000, inputs: ['s1'], outputs: ['o1'], userId: 'ua' }),
      },
      T0 + 1_000,
    ],
    [
      {
        kind: 'event',
        event: startMix({ taskId: 'b', at: T0 + 2_000, inputs: ['s2'], outputs: ['o1'], userId: 'ub' }),
      },
      T0 + 2_000,
    ],
    [
      { kind: 'event', event: mixStarted({ taskId: 'sdk', at: T0 + 3_000, roomId: 'r2', seq: 1 }) },
      T0 + 3_000,
    ],
    [{ kind: 'event', event: closed({ streamId: 's1', at: T0 + 10_000, seq: 4, reason: 1 }) }, T0 + 10_000],
    [{ kind: 'tick' }, T0 + 30_000],
    [{ kind: 'event', event: roomClosed({ roomId: 'r2', at: T0 + 40_000 }) }, T0 + 40_000],
    [{ kind: 'tick' }, T0 + 400_000],
  ]
  let state = emptyState(APP)
  const all: AppState[] = []
  for (const [input, now] of inputs) {
    state = decide(state, input, now, policyWith({})).state
    all.push(state)
  }
  return all
}

const fresh = (value: unknown): unknown => JSON.parse(JSON.stringify(value))

/** Every variant of `json` with one value replaced by one of the wrong kind, or one key removed. */
function corruptions(json: unknown): unknown[] {
  const variants: unknown[] = []
  const walk = (value: unknown, edit: (replace: (at: unknown) => unknown) => void): void => {
    for (const wrong of [typeof value === 'string' ? 42 : 'x', null, [], {}, -1.5, 2 ** 60, true])
      edit(() => wrong)
    if (value === null || typeof value !== 'object') return
    for (const key of Object.keys(value)) {
      const inner = (value as Record<string, unknown>)[key]
      walk(inner, (replace) =>
        edit((at) => {
          const copy = (Array.isArray(at) ? [...at] : { ...(at as object) }) as Record<string, unknown>
          copy[key] = replace(copy[key])
          return copy
        }),
      )
      if (!Array.isArray(value))
        edit((at) => {
          const { [key]: _, ...rest } = at as Record<string, unknown>
          return rest
        })
    }
  }
  walk(json, (replace) => variants.push(replace(json)))
  return variants
}

describe('inPlaceParser', () => {
  const parse = inPlaceParser(AppStateSchema)

  it("gives zod's result for every state the core makes", () => {
    for (const state of states()) {
      const json = fresh(state)
      const expected = AppStateSchema.safeParse(fresh(json))
      expect(expected.success).toBe(true)
      expect(parse(json)).toEqual(expected)
    }
  })

  it("gives zod's verdict and value for every one-value corruption of a state, and zod's error on a refusal", () => {
    const state = states().at(-2)
    let refused = 0
    for (const variant of corruptions(fresh(state))) {
      const expected = AppStateSchema.safeParse(fresh(variant))
      const got = parse(fresh(variant))
      expect(got.success).toBe(expected.success)
      if (expected.success) expect(got.data).toEqual(expected.data)
      else {
        refused++
        expect(got.error?.issues).toEqual(expected.error.issues)
      }
    }
    expect(refused).toBeGreaterThan(100)
  })

  it('drops keys the schema does not know, and fills in defaults, as zod does', () => {
    const { roomSweepAt: _, ...old } = { ...emptyState(APP), extra: 1 }
    expect(parse(fresh(old))).toEqual({ success: true, data: emptyState(APP) })
  })
})
