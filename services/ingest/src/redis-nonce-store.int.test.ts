import { Redis } from 'ioredis'
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest'
import { type LocalRedis, startRedisServer } from '../../../test/redis-server.ts'
import { isIngestError } from './errors.ts'
import {
  createRedisNonceStore,
  type RedisNonceStore,
  type RedisNonceStoreEvent,
} from './redis-nonce-store.ts'

// A real redis-server per file: the store's atomicity lives in Lua scripts that only Redis runs.
let redis: LocalRedis
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(() => redis?.stop())

const stores: RedisNonceStore[] = []
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close()
})

let now = 1_000_000
let keys = 0
/** One replica's store; every replica of a test shares the Redis and the prefix. */
async function replica(options: { takeoverMs?: number; events?: RedisNonceStoreEvent[]; url?: string } = {}) {
  const store = createRedisNonceStore({
    url: options.url ?? redis.url,
    password: null,
    timeoutMs: 300,
    keyPrefix: 'test:nonce:',
    clock: { now: () => now },
    takeoverMs: options.takeoverMs ?? 60_000,
    onEvent: (e) => options.events?.push(e),
  })
  stores.push(store)
  expect(await store.whenUp(10_000)).toBe(true)
  return store
}
const freshKey = () => `4001:${now / 1000}:n-${++keys}`

describe('two replicas sharing one Redis', () => {
  test('the first body wins everywhere: same body is a duplicate, another body is reused, after a restart too', async () => {
    const [a, b] = [await replica(), await replica()]
    const key = freshKey()
    const first = await a.claim(key, 'aaaa', now + 300_000)
    expect(first.kind).toBe('new')
    // While A stores it: B cannot wait on A's promise, so it is told to come back (503).
    expect((await b.claim(key, 'aaaa', now + 300_000)).kind).toBe('in_flight_elsewhere')
    expect((await b.claim(key, 'bbbb', now + 300_000)).kind).toBe('reused')
    if (first.kind === 'new') await first.settle(true)
    expect((await b.claim(key, 'aaaa', now + 300_000)).kind).toBe('duplicate')
    expect((await b.claim(key, 'bbbb', now + 300_000)).kind).toBe('reused')
    await a.close()
    const restarted = await replica()
    expect((await restarted.claim(key, 'bbbb', now + 300_000)).kind).toBe('reused')
  })

  test("a retry in the replica that is storing waits for that attempt's outcome", async () => {
    const a = await replica()
    const key = freshKey()
    const first = await a.claim(key, 'aaaa', now + 300_000)
    const again = await a.claim(key, 'aaaa', now + 300_000)
    if (first.kind !== 'new' || again.kind !== 'in_flight') throw new Error(`${first.kind} ${again.kind}`)
    await first.settle(true)
    expect(await again.stored).toBe(true)
  })

  test('a failed store frees the nonce for the retry, on any replica', async () => {
    const [a, b] = [await replica(), await replica()]
    const key = freshKey()
    const first = await a.claim(key, 'aaaa', now + 300_000)
    if (first.kind === 'new') await first.settle(false)
    expect((await b.claim(key, 'aaaa', now + 300_000)).kind).toBe('new')
  })

  test('a claim left pending by a dead replica is taken over by the same body only, and the late settle of the dead one changes nothing', async () => {
    const [a, b] = [await replica({ takeoverMs: 10_000 }), await replica({ takeoverMs: 10_000 })]
    const key = freshKey()
    const abandoned = await a.claim(key, 'aaaa', now + 300_000)
    now += 10_000
    expect((await b.claim(key, 'bbbb', now + 300_000)).kind).toBe('reused')
    const takeover = await b.claim(key, 'aaaa', now + 300_000)
    expect(takeover.kind).toBe('new')
    // The first claimer wakes up and fails: it must not free the nonce B now holds.
    if (abandoned.kind === 'new') await abandoned.settle(false)
    expect((await a.claim(key, 'bbbb', now + 300_000)).kind).toBe('reused')
    expect((await a.claim(key, 'aaaa', now + 300_000)).kind).toBe('in_flight_elsewhere')
  })

  test('entries expire when the callback would be stale anyway', async () => {
    const a = await replica()
    const key = freshKey()
    const claim = await a.claim(key, 'aaaa', now + 120_000)
    if (claim.kind === 'new') await claim.settle(true)
    const raw = new Redis(redis.url)
    try {
      const ttl = await raw.pttl(`test:nonce:${key}`)
      expect(ttl).toBeGreaterThan(110_000)
      expect(ttl).toBeLessThanOrEqual(120_000)
    } finally {
      raw.disconnect()
    }
  })
})

describe('Redis unreachable or stalled', () => {
  test('a stalled Redis fails the claim within the timeout, and it works again once Redis answers', async () => {
    const events: RedisNonceStoreEvent[] = []
    const a = await replica({ events })
    redis.pause()
    const started = Date.now()
    try {
      await expect(a.claim(freshKey(), 'aaaa', now + 300_000)).rejects.toSatisfy((e) =>
        isIngestError(e, 'NONCE_STORE_UNAVAILABLE'),
      )
    } finally {
      redis.resume()
    }
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(events).toContainEqual(expect.objectContaining({ type: 'failed', operation: 'claim' }))
    expect((await a.claim(freshKey(), 'aaaa', now + 300_000)).kind).toBe('new')
  })

  test('a Redis that is down fails every claim at once and reports the store down, and up again when it returns', async () => {
    const own = await startRedisServer()
    try {
      const events: RedisNonceStoreEvent[] = []
      const a = await replica({ events, url: own.url })
      await own.stop()
      await expect(a.claim(freshKey(), 'aaaa', now + 300_000)).rejects.toSatisfy((e) =>
        isIngestError(e, 'NONCE_STORE_UNAVAILABLE'),
      )
      expect(a.status().up).toBe(false)
      expect(events.map((e) => e.type)).toContain('down')
      const back = await startRedisServer({ port: own.port })
      try {
        expect(await a.whenUp(20_000)).toBe(true)
        expect((await a.claim(freshKey(), 'aaaa', now + 300_000)).kind).toBe('new')
      } finally {
        await back.stop()
      }
    } finally {
      await own.stop()
    }
  })
})
