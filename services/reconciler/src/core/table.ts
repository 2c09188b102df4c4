/**
 * A JSON record map split into buckets by a hash of the key. The state is copied on write (decide()
 * never mutates its input): with one flat map, every event would copy every record of the app; with
 * buckets it copies the small top level and one bucket.
 *
 * The top level names every bucket, in one order, an empty one as undefined (JSON leaves it out, so a
 * table serialises exactly as a map of its non-empty buckets). V8 keeps objects of one such shape in
 * fast mode, and copies them flat: about 30 times faster than the dictionary a top level built key by
 * key becomes, a copy that every input paid for each table it wrote. A bucket is never empty: its last
 * record's removal drops it.
 *
 * A table has 64 buckets, or 128, 256 or 512 once it grew (draft.ts): a bucket of more than about a
 * dozen records is a dictionary to V8, which copies it key by key, about a hundred times slower per
 * record than a small one, and a copy of the bucket is what every write pays. So a bucket written past
 * GROW_KEYS doubles its table's buckets, up to MAX_BUCKETS (a top level above that is a dictionary
 * itself). Tables never shrink in memory; a restored table gets back the bucket count its names tell
 * (rebucket), so its records stay in place.
 */
export type Table<T> = Record<string, Record<string, T> | undefined>

/** The bucket counts a table can have: the first is every new table's. */
const SIZES = [64, 128, 256, 512] as const
const MAX_BUCKETS = 512
/** V8 keeps an object of up to about this many keys added one by one in fast mode, above as a dictionary. */
export const FAST_KEYS = 12
/**
 * A bucket with more records than this doubles its table's buckets: twice FAST_KEYS, so that a table
 * grows when its buckets average about FAST_KEYS, not when one of them is above it by chance (a larger
 * top level costs every write too).
 */
export const GROW_KEYS = 2 * FAST_KEYS
const NAMES = Array.from({ length: MAX_BUCKETS }, (_, i) => `b${i}`)
const INDEX = new Map(NAMES.map((name, i) => [name, i]))
const EMPTY = new Map<number, Table<never>>(
  SIZES.map((size) => [size, Object.fromEntries(NAMES.slice(0, size).map((name) => [name, undefined]))]),
)

export function emptyTable<T>(size = 64): Table<T> {
  return { ...(EMPTY.get(size) as Table<T>) }
}

/** How many buckets a table has: its top level names b0 up to b<size - 1>, each name present. */
export function sizeOf(table: Table<unknown>): number {
  if (!('b64' in table)) return 64
  if (!('b128' in table)) return 128
  return 'b256' in table ? 512 : 256
}

/** FNV-1a: stable across processes and versions, so a restored state finds its keys again. */
function hashOf(key: string): number {
  let hash = 0x811c9dc5
  for (let i = 0; i < key.length; i++) {
    hash ^= key.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** The name of the bucket `key` belongs in, in a table of `size` buckets (64 by default). */
export function bucketOf(key: string, size = 64): string {
  return NAMES[hashOf(key) % size] as string
}

/**
 * The table's records in twice as many buckets (the same table while it has MAX_BUCKETS). Every
 * bucket is new: a draft owns them all (draft.ts), and nothing of the table it came from is written.
 */
export function grown<T>(table: Table<T>): Table<T> {
  const size = sizeOf(table)
  if (size >= MAX_BUCKETS) return table
  const bigger = emptyTable<T>(size * 2)
  for (const name in table) {
    const bucket = table[name]
    if (bucket !== undefined) for (const key in bucket) put(bigger, key, bucket[key] as T)
  }
  return bigger
}

export function tget<T>(table: Table<T>, key: string): T | undefined {
  return table[bucketOf(key, sizeOf(table))]?.[key]
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
  const name = bucketOf(key, sizeOf(table))
  const bucket = table[name]
  if (bucket === undefined) table[name] = { [key]: value }
  else bucket[key] = value
}

/**
 * A table of the records of `buckets` (a table as JSON has it: only its non-empty buckets, maybe under
 * other names), each in the bucket its key hashes to. It has as many buckets as the highest name `b<i>`
 * needs, so a table read back has the bucket count it was written with (a table that had emptied its
 * upper buckets reads back smaller; where a record is does not change what decide() decides). A bucket
 * whose keys are all in place is kept.
 */
export function rebucket<T>(buckets: Record<string, Record<string, T> | undefined>): Table<T> {
  const table = emptyTable<T>(sizeNamed(buckets))
  const count = sizeOf(table)
  const misplaced: Record<string, T>[] = []
  for (const name in buckets) {
    const bucket = buckets[name]
    if (bucket === undefined) continue
    let placed = true
    let size = 0
    for (const key in bucket) {
      size++
      if (bucketOf(key, count) !== name) placed = false
    }
    if (!placed) misplaced.push(bucket)
    else if (size > 0) table[name] = bucket
  }
  for (const bucket of misplaced) for (const key in bucket) put(table, key, bucket[key] as T)
  return table
}

/** The fewest buckets whose names include every `b<i>` among `names` (at least 64). */
function sizeNamed(names: Record<string, unknown>): number {
  let highest = 0
  for (const name in names) {
    const i = INDEX.get(name) ?? 0
    if (i > highest && names[name] !== undefined) highest = i
  }
  return SIZES.find((size) => size > highest) ?? MAX_BUCKETS
}
