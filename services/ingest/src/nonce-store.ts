/**
 * What a callback's (AppID, timestamp, nonce) has been seen with. ZEGO's signature covers only the
 * timestamp and nonce, so whoever captured one signed callback could send it again with another body:
 * the first body seen for a signature is the only one accepted. An identical body is a retry.
 */
export type NonceClaim =
  /**
   * First sight: store the callback, then `settle(true)`; on failure `settle(false)` frees the nonce so
   * a retry is processed afresh. `settle` never rejects (a store that cannot be told keeps the claim
   * pending until it expires: a retry of the same body is then answered 503, another body stays refused).
   */
  | { kind: 'new'; settle(stored: boolean): Promise<void> }
  /** The same body was stored already: acknowledge, do not store twice. */
  | { kind: 'duplicate' }
  /** The same body is being stored right now by this process: answer as that attempt does. */
  | { kind: 'in_flight'; stored: Promise<boolean> }
  /** The same body is being stored right now by another replica: answer 503, its retry finds the outcome. */
  | { kind: 'in_flight_elsewhere' }
  /** Another body under a signature seen before: a forgery. */
  | { kind: 'reused' }

export interface NonceStoreStatus {
  /** False while the store cannot answer (Redis unreachable): callbacks are refused with 503. */
  up: boolean
  /** Signatures remembered, when the store knows it cheaply (the in-memory store); else null. */
  entries: number | null
  /** Entries dropped early because the store was full (each weakens replay protection a little). */
  evictions: number
}

/**
 * Replay protection behind one interface: in memory (one replica) or in Redis (shared by every
 * replica, and surviving restarts). `claim` rejects with an `IngestError` `NONCE_STORE_UNAVAILABLE`
 * when the store cannot answer in time: the callback must then be refused, never accepted unchecked.
 */
export interface NonceStore {
  readonly kind: 'memory' | 'redis'
  /** `expiresAt`: when the callback would be stale anyway (epoch ms); the entry is not needed after it. */
  claim(key: string, bodyDigest: string, expiresAt: number): Promise<NonceClaim>
  status(): NonceStoreStatus
  close(): Promise<void>
}
