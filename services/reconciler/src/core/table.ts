/**
 * A JSON record map split into a fixed number of buckets by a hash of the key. The state is copied on
 * write (decide() never mutates its input): with one flat map, every event would copy every record
 * of the app; with buckets it copies the small top level and one bucket.
 *
 * The top level names every bucket, in one order, an empty one as undefined (JSON leaves it out, so a
 * table serialises exactly as a map of its non-empty buckets). V8 keeps objects of one such shape in
 * fast mode, and copies them flat: about 30 times faster than the 64-key dictionary a top level
 * built key by key becomes, a copy that every input paid for each table it wrote. A bucket is never
 * empty: its last record's removal drops it.
 */
export type Table<T> = Record<string, Record<string, T> | undefined>

const BUCKETS = 64
const NAMES = Array.from({ length: BUCKETS }, (_, i) => `b${i}`)
const EMPTY: Table<never> = Object.fromEntries(NAMES.map((name) => [name, undefined]))

export function emptyTable<T>(): Table<T> {
  return { ...EMPTY }
}

/** FNV-1a: stable across processes and versions, so a restored state finds its keys again. */
export function bucketOf(key: string): string {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return NAMES[(hash >>> 0) % BUCKETS] as string
}

export function tget<T>(table: Table<T>, key: string): T | undefined {
  return table[bucketOf(key)]?.[key]
}

export function tvalues<T>(table: Table<T>): T[] {
  const values: T[] = []
  for (const name in table) {
    const bucket = table[name]
    if (bucket !== undefined) for (const key in bucket) values.push(bucket[key] as T)
  }
  return values
}

export function tkeys(table: Table<unknown>): string[] {
  const keys: string[] = []
  for (const name in table) {
    const bucket = table[name]
    if (bucket !== undefined) for (const key in bucket) keys.push(key)
  }
  return keys
}

export function tempty(table: Table<unknown>): boolean {
  for (const name in table) if (table[name] !== undefined) return false
  return true
}

/** A table from plain entries (tests, fixtures). */
export function tableOf<T>(entries: Record<string, T>): Table<T> {
  const table = emptyTable<T>()
  for (const key in entries) put(table, key, entries[key] as T)
  return table
}

/** Adds a record to a table being built (never to one a state holds: those are copied on write). */
function put<T>(table: Table<T>, key: string, value: T): void {
  const name = bucketOf(key)
  const bucket = table[name]
  if (bucket === undefined) table[name] = { [key]: value }
  else bucket[key] = value
}

/**
 * A table of the records of `buckets` (a table as JSON has it: only its non-empty buckets, maybe under
 * other names), each in the bucket its key hashes to. A bucket whose keys are all in place is kept.
 */
export function rebucket<T>(buckets: Record<string, Record<string, T> | undefined>): Table<T> {
  const table = emptyTable<T>()
  const misplaced: Record<string, T>[] = []
  for (const name in buckets) {
    const bucket = buckets[name]
    if (bucket === undefined) continue
    let placed = true
    let size = 0
    for (const key in bucket) {
      size++
      if (bucketOf(key) !== name) placed = false
    }
    if (!placed) misplaced.push(bucket)
    else if (size > 0) table[name] = bucket
  }
  for (const bucket of misplaced) for (const key in bucket) put(table, key, bucket[key] as T)
  return table
}
