import { describe, expect, it } from 'vitest'
import { orderInversions } from './order-inversions.ts'

describe('orderInversions', () => {
  it('counts a callback that landed before one acknowledged before it was sent', () => {
    expect(
      orderInversions([
        { sentAt: 0, ackedAt: 10, position: 1 },
        { sentAt: 20, ackedAt: 30, position: 0 },
      ]),
    ).toBe(1)
  })

  it('lets callbacks in flight together land in either order', () => {
    expect(
      orderInversions([
        { sentAt: 0, ackedAt: 30, position: 1 },
        { sentAt: 10, ackedAt: 20, position: 0 },
      ]),
    ).toBe(0)
  })

  it('finds nothing in a sequence kept in order', () => {
    const placed = Array.from({ length: 50 }, (_, i) => ({
      sentAt: i * 10,
      ackedAt: i * 10 + 5,
      position: i,
    }))
    expect(orderInversions(placed)).toBe(0)
  })
})
