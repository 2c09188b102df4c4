import type { Clock } from '@mixguard/time'
import type { NonceStore } from './nonce-store.ts'

interface Entry {
  digest: string
  expiresAt: number
  stored: boolean
  pending: Promise<boolean> | null
}

/**
 * The nonce store of a single replica: this process's memory, bounded. A second replica, or this one
 * after a restart, does not see its entries: more than one replica needs the Redis store.
 */
export function createMemoryNonceStore(options: { clock: Clock; maxEntries: number }): NonceStore {
  const { clock, maxEntries } = options
  // Insertion order is close to expiry order (one freshness window after each timestamp).
  const entries = new Map<string, Entry>()
  let evicted = 0

  /** Drops expired entries from the front, and more while full, so the next insert fits. */
  const prune = (now: number): void => {
    for (const [key, entry] of entries) {
      if (entry.expiresAt > now && entries.size < maxEntries) break
      if (entry.expiresAt > now) evicted += 1
      entries.delete(key)
    }
  }

  return {
    kind: 'memory',
    async claim(key, bodyDigest, expiresAt) {
      prune(clock.now())
      const seen = entries.get(key)
      if (seen !== undefined) {
        if (seen.digest !== bodyDigest) return { kind: 'reused' }
        if (seen.stored) return { kind: 'duplicate' }
        if (seen.pending !== null) return { kind: 'in_flight', stored: seen.pending }
      }
      let settle!: (stored: boolean) => void
      const entry: Entry = {
        digest: bodyDigest,
        expiresAt,
        stored: false,
        pending: new Promise<boolean>((resolve) => {
          settle = resolve
        }),
      }
      entries.set(key, entry)
      return {
        kind: 'new',
        async settle(stored) {
          entry.pending = null
          entry.stored = stored
          // Not stored: forget it, so ZEGO's retry is handled as a first attempt.
          if (!stored && entries.get(key) === entry) entries.delete(key)
          settle(stored)
        },
      }
    },
    status: () => ({ up: true, entries: entries.size, evictions: evicted }),
    close: async () => {},
  }
}
