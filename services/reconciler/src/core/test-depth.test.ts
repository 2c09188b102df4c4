import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { assertProperty, ROUND } from './test-depth.ts'

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

  it('reports a failure in a later round with that round’s own seed, which replays it', async () => {
    const failsAt = (n: number) => n > 1_000_000
    let runs = 0
    const property = fc.property(fc.integer({ min: 0, max: 2_000_000 }), (n) => {
      runs++
      return !(runs > ROUND && failsAt(n))
    })
    const error = await assertProperty(property, { seed: 41, numRuns: 2 * ROUND }).then(
      () => null,
      (e: Error) => e,
    )
    // The second round's: 41 + 1.
    expect(error?.message).toMatch(/seed: 42,/)
    const replayed = error?.message.match(/seed: (-?\d+), path: "([^"]+)"/)
    expect(replayed).not.toBeNull()
    const [, seed, path] = replayed as RegExpMatchArray
    runs = ROUND
    expect(() => fc.assert(property, { seed: Number(seed), path, endOnFailure: true })).toThrow(
      /Property failed/,
    )
  })
})
