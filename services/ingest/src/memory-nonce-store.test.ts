import { expect, test } from 'vitest'
import { createMemoryNonceStore } from './memory-nonce-store.ts'

test('entries are forgotten once their callback would be stale anyway', async () => {
  let now = 1_000
  const store = createMemoryNonceStore({ clock: { now: () => now }, maxEntries: 100 })
  const claim = await store.claim('k', 'body-a', 2_000)
  if (claim.kind !== 'new') throw new Error(claim.kind)
  await claim.settle(true)
  expect((await store.claim('k', 'body-b', 2_000)).kind).toBe('reused')
  now = 2_000
  // The verifier rejects a timestamp this old before the store is asked; the entry can go.
  expect((await store.claim('other', 'x', 5_000)).kind).toBe('new')
  expect(store.status().entries).toBe(1)
})

test('a full store drops its oldest entries and counts them', async () => {
  const store = createMemoryNonceStore({ clock: { now: () => 0 }, maxEntries: 2 })
  for (const key of ['a', 'b', 'c']) {
    const claim = await store.claim(key, 'd', 10_000)
    if (claim.kind === 'new') await claim.settle(true)
  }
  expect(store.status()).toEqual({ up: true, entries: 2, evictions: 1 })
  expect((await store.claim('c', 'd', 10_000)).kind).toBe('duplicate')
})
