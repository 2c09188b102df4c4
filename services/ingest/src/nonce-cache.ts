import type { Clock } from '@mixguard/time'

/**
 * What a callback's (AppID, timestamp, nonce) has been seen with. ZEGO's signature covers only the
 * timestamp and nonce, so whoever captured one signed callback could send it again with another body:
 * the first body seen for a signature is the only one accepted. An identical body is a retry.
 */
export type NonceClaim =
  /** First sight: store the callback, then `settle(true)`; on failure `settle(false)` frees the nonce so a retry is processed afresh. */
  | { kind: 'new'; settle(stored: boolean): void }
  /** The same body was stored already: acknowledge, do not store twice. */
  | { kind: 'duplicate' }
  /** The same body is being stored right now: answer as that attempt does. */
  | { kind: 'in_flight'; stored: Promise<boolean> }
  /** Another body under a signature seen before: a forgery. */
  | { kind: 'reused' }

export interface NonceCache {
  /** `expiresAt`: when the callback would be stale anyway (epoch ms); the entry is not needed after it. */
  claim(key: string, bodyDigest: string, expiresAt: number): NonceClaim
  size(): number
  /** Entries dropped early because the cache was full (each weakens replay protection a little). */
  evictions(): number
}

interface Entry {
  digest: string
  expiresAt: number
  stored: boolean
  pending: Promise<boolean> | null
}

export function createNonceCache(options: { clock: Clock; maxEntries: number }): NonceCache {
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
    claim(key, bodyDigest, expiresAt) {
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
        settle(stored) {
          entry.pending = null
          entry.stored = stored
          // Not stored: forget it, so ZEGO's retry is handled as a first attempt.
          if (!stored && entries.get(key) === entry) entries.delete(key)
          settle(stored)
        },
      }
    },
    size: () => entries.size,
    evictions: () => evicted,
  }
}
