/**
 * How deep the core's property tests search, and how a deep search runs (for tests only). The unit
 * suite runs each property 200 times; `pnpm test:deep` (CORE_PROPERTY_RUNS, 4,000 there) searches
 * twenty times deeper, as CI does after the suite: the wake differential's two gaps of December 2 were
 * out of reach of 200 runs and found at 4,000.
 */
import { loopTurn } from '@mixguard/time'
import fc from 'fast-check'

const PROPERTY_RUNS = runsFrom(process.env.CORE_PROPERTY_RUNS)

/** The depth CORE_PROPERTY_RUNS asks for (200 unset); anything but a whole number of runs is an error. */
export function runsFrom(value: string | undefined): number {
  if (value === undefined || value === '') return 200
  const runs = Number(value)
  if (!Number.isSafeInteger(runs) || runs < 1) {
    throw new Error(`CORE_PROPERTY_RUNS must be a whole number of runs, 1 or more; it is "${value}"`)
  }
  return runs
}

/** A test's timeout for a property of PROPERTY_RUNS runs at `msPerRun` each (a slow machine's). */
export function timeoutFor(msPerRun: number, floorMs = 30_000): number {
  return Math.max(floorMs, PROPERTY_RUNS * msPerRun)
}

/**
 * The most runs a round makes before the event loop is let go: 9–14 s of the slowest property (the wake
 * differential, 46–67 ms a run on this project's 2-core VM), well within vitest's 60 s.
 */
export const ROUND = 200

/**
 * fc.assert over PROPERTY_RUNS runs (or `numRuns`), in rounds of at most ROUND runs with the event loop
 * let go between them. One call of 4,000 runs holds the loop for minutes, and vitest's worker, whose
 * calls to the runner time out after 60 s by a timer, then fails the whole run with "Timeout calling
 * onTaskUpdate" although every test passed. Each round has its own seed (the first one's plus the
 * round's number); fast-check's failure message gives the failing round's seed and path, which replay
 * that one case as `{ seed, path }`. `examples` run in the first round.
 */
export async function assertProperty<Ts>(
  property: fc.IProperty<Ts>,
  params: fc.Parameters<Ts> = {},
): Promise<void> {
  // A replay: that one case (and its shrinking). fast-check would go on from it for numRuns runs.
  if (params.path !== undefined) return fc.assert(property, { ...params, numRuns: 1 })
  const { numRuns = PROPERTY_RUNS, seed = Math.floor(Math.random() * 2 ** 32) | 0, examples } = params
  for (let round = 0, done = 0; done < numRuns; round++, done += ROUND) {
    fc.assert(property, {
      ...params,
      numRuns: Math.min(ROUND, numRuns - done),
      seed: (seed + round) | 0,
      examples: round === 0 ? examples : [],
    })
    await loopTurn()
  }
}
