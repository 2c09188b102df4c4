import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { jsonSteps } from './json-steps.ts'

/** The steps run to their end: the text, and how many steps it took. */
function run(value: unknown, itemsPerStep?: number): { json: string; steps: number } {
  const steps = jsonSteps(value, itemsPerStep)
  let count = 0
  for (;;) {
    const step = steps.next()
    if (step.done) return { json: step.value, steps: count }
    count++
  }
}

/** Values as states hold them, and what JSON leaves out or writes as null (undefined, functions). */
const item = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.constant(() => 1),
)
const value = fc.letrec((tie) => ({
  node: fc.oneof(
    { depthSize: 'small' },
    item,
    fc.array(item, { maxLength: 12 }),
    fc.array(tie('node'), { maxLength: 6 }),
    fc.dictionary(fc.string(), tie('node'), { maxKeys: 4 }),
    fc.constant(new Date(0)),
  ),
})).node

describe('jsonSteps', () => {
  it('writes the text JSON.stringify writes, at every depth, for any value that has JSON', () => {
    // Slices of 1 to 5 items, so that arrays cross their seams.
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), value, { maxKeys: 5 }),
        fc.integer({ min: 1, max: 5 }),
        (object, per) => {
          expect(run(object, per).json).toBe(JSON.stringify(object))
        },
      ),
      { numRuns: 300 },
    )
  })

  it('takes a step per 4096 items of a long array, nested in objects as a stored state is', () => {
    const data = Array.from({ length: 100_000 }, (_, i) => i * 3)
    const record = { v: 1, appId: 7, appliedOffset: '12', state: { v: 2, strings: ['a'], data, json: [] } }
    const { json, steps } = run(record)
    expect(json).toBe(JSON.stringify(record))
    // A step per slice of `data`, and one per value written whole (v, appId, appliedOffset, …).
    expect(steps).toBeGreaterThanOrEqual(Math.ceil(100_000 / 4096))
    expect(steps).toBeLessThan(Math.ceil(100_000 / 4096) + 10)
  })

  it('refuses a value JSON has no text for', () => {
    expect(() => run(undefined)).toThrow('no JSON for a undefined')
  })
})
