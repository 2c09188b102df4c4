import { randomUUID } from 'node:crypto'
import type { Clock } from '@mixguard/time'
import { Redis } from 'ioredis'
import { IngestError } from './errors.ts'
import type { NonceClaim, NonceStore } from './nonce-store.ts'

/**
 * One key per signature, its value `s|<digest>` once stored, or `p|<digest>|<token>|<since ms>` while
 * one attempt (the claimer holding `token`) stores it. Both scripts run atomically in Redis, so two
 * replicas racing on one signature see one winner, and the "same body = duplicate, other body =
 * reused" rule holds across replicas. A pending claim older than `takeoverMs` was left by a replica
 * that died mid-store: the same body takes it over (a second copy on Kafka is harmless), another body
 * never does.
 */
const CLAIM = `
local v = redis.call('GET', KEYS[1])
local mine = 'p|' .. ARGV[1] .. '|' .. ARGV[2] .. '|' .. ARGV[3]
if not v then
  redis.call('SET', KEYS[1], mine, 'PX', ARGV[4])
  return 'new'
end
local kind, digest, rest = string.match(v, '^(%a)|(%x+)|?(.*)$')
if digest ~= ARGV[1] then return 'reused' end
if kind == 's' then return 'duplicate' end
local token, since = string.match(rest, '^([^|]+)|(%d+)$')
if since == nil or tonumber(ARGV[3]) - tonumber(since) >= tonumber(ARGV[5]) then
  redis.call('SET', KEYS[1], mine, 'KEEPTTL')
  return 'new'
end
return 'pending|' .. token
`

/** Stored: mark it so; not stored: free the nonce. Only while the pending claim is still ours. */
const SETTLE = `
local v = redis.call('GET', KEYS[1])
local mine = 'p|' .. ARGV[1] .. '|' .. ARGV[2] .. '|'
if not v or string.sub(v, 1, #mine) ~= mine then return 0 end
if ARGV[3] == '1' then
  redis.call('SET', KEYS[1], 's|' .. ARGV[1], 'KEEPTTL')
else
  redis.call('DEL', KEYS[1])
end
return 1
`

interface Scripts {
  mixguardNonceClaim(
    key: string,
    digest: string,
    token: string,
    nowMs: number,
    ttlMs: number,
    takeoverMs: number,
  ): Promise<string>
  mixguardNonceSettle(key: string, digest: string, token: string, stored: '1' | '0'): Promise<number>
}

export type RedisNonceStoreEvent =
  | { type: 'up' }
  | { type: 'down'; error: Error | null }
  | { type: 'failed'; operation: 'claim' | 'settle'; error: Error }

export interface RedisNonceStoreOptions {
  /** `redis://[user:password@]host:port[/db]` or `rediss://` for TLS. */
  url: string
  password: string | null
  /** Every command's bound, and the connect timeout. */
  timeoutMs: number
  /** Prepended to every key, so deployments sharing a Redis do not share nonces. */
  keyPrefix: string
  clock: Clock
  /** How long a claim may stay pending before the same body may take it over (a replica died mid-store). */
  takeoverMs: number
  onEvent: (event: RedisNonceStoreEvent) => void
}

export interface RedisNonceStore extends NonceStore {
  /** Resolves true once connected, false after `ms` (the store keeps reconnecting). */
  whenUp(ms: number): Promise<boolean>
}

export function createRedisNonceStore(options: RedisNonceStoreOptions): RedisNonceStore {
  const { clock, keyPrefix, takeoverMs, onEvent } = options
  const redis = new Redis(options.url, {
    ...(options.password === null ? {} : { password: options.password }),
    lazyConnect: true,
    // Fail at once while disconnected, and bound every command: a callback is refused, never held.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: options.timeoutMs,
    connectTimeout: options.timeoutMs,
    // The claims of every request read in one turn of the event loop (and the settles of one Kafka
    // batch) go to Redis in one write: a write syscall per command was most of the store's CPU.
    enableAutoPipelining: true,
    retryStrategy: (attempt) => Math.min(attempt * 100, 2_000),
  })
  redis.defineCommand('mixguardNonceClaim', { numberOfKeys: 1, lua: CLAIM })
  redis.defineCommand('mixguardNonceSettle', { numberOfKeys: 1, lua: SETTLE })
  const scripts = redis as unknown as Scripts
  let up = false
  let lastError: Error | null = null
  const waiters = new Set<() => void>()
  redis.on('ready', () => {
    up = true
    onEvent({ type: 'up' })
    for (const wake of [...waiters]) wake()
  })
  redis.on('error', (error: Error) => {
    lastError = error
  })
  redis.on('close', () => {
    if (!up) return
    up = false
    onEvent({ type: 'down', error: lastError })
  })
  // The first connect failing is reported by the 'error' listener; reconnecting goes on by itself.
  redis.connect().catch(() => {})

  // This process's own pending claims, so a retry arriving here waits for the attempt in flight.
  const local = new Map<string, Promise<boolean>>()

  const unavailable = (operation: 'claim' | 'settle', error: unknown): IngestError => {
    const cause = error instanceof Error ? error : new Error(String(error))
    onEvent({ type: 'failed', operation, error: cause })
    return new IngestError('NONCE_STORE_UNAVAILABLE', `the nonce store did not answer: ${cause.message}`, {
      retryable: true,
      cause,
    })
  }

  return {
    kind: 'redis',
    async claim(signature, bodyDigest, expiresAt) {
      const key = `${keyPrefix}${signature}`
      const token = randomUUID()
      const now = clock.now()
      let answer: string
      try {
        answer = await scripts.mixguardNonceClaim(
          key,
          bodyDigest,
          token,
          now,
          Math.max(1, expiresAt - now),
          takeoverMs,
        )
      } catch (error) {
        throw unavailable('claim', error)
      }
      if (answer === 'reused' || answer === 'duplicate') return { kind: answer }
      if (answer.startsWith('pending|')) {
        const here = local.get(`${key}|${answer.slice('pending|'.length)}`)
        return here === undefined ? { kind: 'in_flight_elsewhere' } : { kind: 'in_flight', stored: here }
      }
      let resolve!: (stored: boolean) => void
      const mine = `${key}|${token}`
      local.set(
        mine,
        new Promise<boolean>((r) => {
          resolve = r
        }),
      )
      const claim: NonceClaim = {
        kind: 'new',
        async settle(stored) {
          try {
            await scripts.mixguardNonceSettle(key, bodyDigest, token, stored ? '1' : '0')
          } catch (error) {
            unavailable('settle', error)
          } finally {
            local.delete(mine)
            resolve(stored)
          }
        },
      }
      return claim
    },
    status: () => ({ up, entries: null, evictions: 0 }),
    whenUp(ms) {
      if (up) return Promise.resolve(true)
      return new Promise((resolve) => {
        const done = (value: boolean) => {
          clearTimeout(timer)
          waiters.delete(wake)
          resolve(value)
        }
        const wake = () => done(true)
        const timer = setTimeout(() => done(false), ms)
        waiters.add(wake)
      })
    },
    async close() {
      up = false
      redis.disconnect()
    },
  }
}
