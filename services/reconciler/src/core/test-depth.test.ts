import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertProperty, ROUND, runsFrom } from './test-depth.ts'

describe('a deep property search (test-depth.ts)', () => {
  it('makes every run asked, and lets the event loop go between rounds', async () => {
    let released = false
    setImmediate(() => {
      released = true
    })
    const seen: boolean[] = []
    await assertProperty(
      fc.property(fc.integer(), () => {
        seen.push(released)
      }),
      { numRuns: 2 * ROUND + 1 },
    )
    expect(seen).toHaveLength(2 * ROUND + 1)
    expect(seen.slice(0, ROUND).every((r) => !r)).toBe(true)
    expect(seen.slice(ROUND).every((r) => r)).toBe(true)
  })

  it('reports a failure in a later round with that round’s own seed, whose { seed, path } replays it', async () => {
    let runs = 0
    // Fails only after the first round: the failure must name the second round's seed.
    const property = fc.property(fc.integer({ min: 0, max: 2_000_000 }), (n) => {
      runs++
      return runs <= ROUND || n <= 1_000_000
    })
    const failure = (work: Promise<void>) =>
      work.then(
        () => '',
        (e: Error) => e.message,
      )
    const found = await failure(assertProperty(property, { seed: 41, numRuns: 2 * ROUND }))
    expect(found).toMatch(/seed: 42,/)
    const [, seed, path] = found.match(/seed: (-?\d+), path: "([^"]+)"/) ?? []
    const counterexample = found.match(/Counterexample: (\[.*\])/)?.[1]
    expect(counterexample).toBeDefined()
    runs = ROUND
    const replayed = await failure(assertProperty(property, { seed: Number(seed), path }))
    expect(replayed.match(/Counterexample: (\[.*\])/)?.[1]).toBe(counterexample)
    // A replay is that one case, at any depth: no round after it.
    let calls = 0
    await assertProperty(
      fc.property(fc.integer(), () => {
        calls++
      }),
      { seed: 41, path: '7', numRuns: 2 * ROUND },
    )
    expect(calls).toBe(1)
  })

  it('reads its depth from CORE_PROPERTY_RUNS, and refuses one that is not a whole number of runs', () => {
    expect(runsFrom(undefined)).toBe(200)
    expect(runsFrom('')).toBe(200)
    expect(runsFrom('4000')).toBe(4000)
    for (const bad of ['0', '-5', '1.5', 'deep', '1e400'])
      expect(() => runsFrom(bad)).toThrow(
        `CORE_PROPERTY_RUNS must be a whole number of runs, 1 or more; it is "${bad}"`,
      )
  })
})
