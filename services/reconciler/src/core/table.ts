/**
 * A JSON record map split into a fixed number of buckets by a hash of the key. The state is copied on
 * write (decide() never mutates its input): with one flat map, every event would copy every stream
 * of the app; with buckets it copies the small top level and one bucket.
 */
export type Table<T> = Record<string, Record<string, T>>

const BUCKETS = 64

/** FNV-1a: stable across processes and versions, so a restored state finds its keys again. */
export function bucketOf(key: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return `b${(hash >>> 0) % BUCKETS}`
}

export function tget<T>(table: Table<T>, key: string): T | undefined {
  return table[bucketOf(key)]?.[key]
}

export function tvalues<T>(table: Table<T>): T[] {
  const values: T[] = []
  for (const bucket of Object.values(table)) for (const value of Object.values(bucket)) values.push(value)
  return values
}

export function tkeys(table: Table<unknown>): string[] {
  const keys: string[] = []
  for (const bucket of Object.values(table)) for (const key of Object.keys(bucket)) keys.push(key)
  return keys
}

export function tempty(table: Table<unknown>): boolean {
  for (const bucket of Object.values(table)) for (const _ in bucket) return false
  return true
}

/** A table from plain entries (tests, fixtures). */
export function tableOf<T>(entries: Record<string, T>): Table<T> {
  const table: Table<T> = {}
  for (const [key, value] of Object.entries(entries)) {
    const bucket = bucketOf(key)
    table[bucket] = { ...table[bucket], [key]: value }
  }
  return table
}
