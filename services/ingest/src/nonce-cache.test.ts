import { expect, test } from 'vitest'
import { createNonceCache } from './nonce-cache.ts'

test('entries are forgotten once their callback would be stale anyway', () => {
  let now = 1_000
  const cache = createNonceCache({ clock: { now: () => now }, maxEntries: 100 })
  const claim = cache.claim('k', 'body-a', 2_000)
  if (claim.kind !== 'new') throw new Error(claim.kind)
  claim.settle(true)
  expect(cache.claim('k', 'body-b', 2_000).kind).toBe('reused')
  now = 2_000
  // The verifier rejects a timestamp this old before the cache is asked; the entry can go.
  expect(cache.claim('other', 'x', 5_000).kind).toBe('new')
  expect(cache.size()).toBe(1)
})

test('a full cache drops its oldest entries and counts them', () => {
  const cache = createNonceCache({ clock: { now: () => 0 }, maxEntries: 2 })
  for (const key of ['a', 'b', 'c']) {
    const claim = cache.claim(key, 'd', 10_000)
    if (claim.kind === 'new') claim.settle(true)
  }
  expect(cache.size()).toBe(2)
  expect(cache.evictions()).toBe(1)
  expect(cache.claim('c', 'd', 10_000).kind).toBe('duplicate')
})
