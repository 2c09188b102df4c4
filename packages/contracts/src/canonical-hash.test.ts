import { describe, expect, it } from 'vitest'
import { canonicalJson, sortedCopy } from './canonical-hash.ts'

describe('canonical JSON', () => {
  it('sorts keys at every depth and maps leaves', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: 3 }], e: undefined })).toBe('{"a":[{"c":3,"d":2}],"b":1}')
    expect(sortedCopy({ b: [1, 'x'], a: null }, (v) => (typeof v === 'number' ? String(v) : v))).toEqual({
      a: null,
      b: ['1', 'x'],
    })
  })

  it('copies 100,000 levels without recursion', () => {
    let value: unknown = 1
    for (let i = 0; i < 100_000; i += 1) value = i % 2 === 0 ? [value] : { z: value, a: 0 }
    let copy = sortedCopy(value, (v) => (v === 1 ? 'one' : v))
    let depth = 0
    while (typeof copy === 'object' && copy !== null) {
      if (!Array.isArray(copy)) expect(Object.keys(copy)).toEqual(['a', 'z'])
      copy = Array.isArray(copy) ? copy[0] : (copy as { z: unknown }).z
      depth += 1
    }
    expect([depth, copy]).toEqual([100_000, 'one'])
  })
})
