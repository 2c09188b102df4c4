import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { sortedUnique } from './sorted-unique.ts'

describe('sortedUnique', () => {
  it('gives what a Set and a sort give, short lists (by insertion) and long ones alike', () => {
    // Few distinct short strings: duplicates, prefixes, case and non-ASCII code units all occur.
    const item = fc.constantFrom('', ' ', 'a', 'aa', 'ab', 'B', 'b', 'é', 's-10', 's-9', '\u{1f600}')
    fc.assert(
      fc.property(fc.array(item, { maxLength: 40 }), (items) => {
        const before = [...items]
        expect(sortedUnique(items)).toEqual([...new Set(items)].sort())
        expect(items).toEqual(before)
      }),
      { numRuns: 2000 },
    )
  })
})
