import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import type { StoredApp } from '../shell-ports.ts'
import { ChangelogReader, type ChangelogRecord, encodeApp } from './state-records.ts'

type State = { blob: string; n: number }
const CHUNK = 128
const app = (appId: number, n: number, size = 10): StoredApp<State> => ({
  appId,
  appliedOffset: String(n),
  state: { blob: 'x'.repeat(size), n },
})
/** Refuses a state whose n is negative (a record that cannot be used). */
const parse = (value: unknown) => ((value as State).n < 0 ? null : (value as State))

function reader() {
  const skipped: string[] = []
  const parsed: number[] = []
  const r = new ChangelogReader<State>(
    (value) => {
      parsed.push((value as State).n)
      return parse(value)
    },
    (reason, key) => skipped.push(`${key}: ${reason}`),
  )
  const add = (records: ChangelogRecord[]) => {
    for (const record of records) r.add(Buffer.from(record.key), record.value)
  }
  return { r, add, skipped, parsed }
}

describe('encodeApp', () => {
  test("writes a large state's JSON in slices: a timer that came due runs before it is done", async () => {
    // Two million numbers: some 15 MB of JSON, far more than one slice (SLICE_MS) to write.
    const data = Array.from({ length: 2_000_000 }, (_, i) => i)
    let fired = false
    setTimeout(() => {
      fired = true
    }, 0)
    const { records } = await encodeApp(
      { appId: 9, appliedOffset: '1', state: { data } },
      64 << 20,
      undefined,
      false,
    )
    // Without the slices, encodeApp would end in one go, before the loop reached the timer.
    expect(fired).toBe(true)
    expect(JSON.parse(String(records[0]?.value)).state.data).toHaveLength(2_000_000)
  })
})

describe('the changelog reader', async () => {
  test('a small state is one record and a large one chunks plus a manifest; both read back equal', async () => {
    const small = await encodeApp(app(1, 1), CHUNK, undefined, false)
    const large = await encodeApp(app(2, 2, 500), CHUNK, undefined, false)
    expect(small.records).toHaveLength(1)
    expect(small.chunked).toBeUndefined()
    expect(large.chunked?.chunks).toBeGreaterThan(3)
    const { r, add, skipped } = reader()
    add([...small.records, ...large.records])
    const read = await r.finish()
    expect(read.apps.get(1)).toEqual(app(1, 1))
    expect(read.apps.get(2)).toEqual(app(2, 2, 500))
    expect(read.chunked.get(2)).toEqual(large.chunked)
    expect(skipped).toEqual([])
  })

  test('of a chunked app only the latest version is parsed (an uncompacted tail costs no parse)', async () => {
    const { r, add, parsed } = reader()
    const first = await encodeApp(app(2, 7, 500), CHUNK, undefined, false)
    add(first.records)
    add((await encodeApp(app(2, 8, 500), CHUNK, first.chunked, false)).records)
    expect((await r.finish()).apps.get(2)?.state.n).toBe(8)
    expect(parsed).toEqual([8])
  })

  test('the same manifest read twice (a retried write) keeps the state it names', async () => {
    const { r, add, skipped } = reader()
    const records = (await encodeApp(app(2, 7, 500), CHUNK, undefined, false)).records
    add(records)
    add(records.slice(-1))
    expect((await r.finish()).apps.get(2)).toEqual(app(2, 7, 500))
    expect(skipped).toEqual([])
  })

  test('the latest record wins: versions, tombstones of old chunks, a tombstone for the app', async () => {
    const { r, add, skipped } = reader()
    const first = await encodeApp(app(3, 1, 500), CHUNK, undefined, false)
    add(first.records)
    const second = await encodeApp(app(3, 2, 300), CHUNK, first.chunked, false)
    add(second.records)
    add((await encodeApp(app(4, 1, 500), CHUNK, undefined, false)).records)
    const shrunk = await encodeApp(app(4, 2), CHUNK, undefined, false)
    add(shrunk.records)
    add((await encodeApp(app(5, 1), CHUNK, undefined, false)).records)
    add([{ key: '5', value: null }])
    const read = await r.finish()
    expect(read.apps.get(3)).toEqual(app(3, 2, 300))
    expect(read.chunked.get(3)).toEqual(second.chunked)
    expect(read.apps.get(4)).toEqual(app(4, 2))
    expect(read.chunked.has(4)).toBe(false)
    expect(read.apps.has(5)).toBe(false)
    expect(skipped).toEqual([])
  })

  test('bad records are skipped as before: a bad one-record state keeps the previous, a bad chunked one drops the app', async () => {
    const { r, add, skipped } = reader()
    add((await encodeApp(app(6, 1), CHUNK, undefined, false)).records)
    add((await encodeApp(app(6, -1), CHUNK, undefined, false)).records)
    add([{ key: '6', value: Buffer.from('{not json') }])
    add((await encodeApp(app(7, 1), CHUNK, undefined, false)).records)
    add((await encodeApp(app(7, -1, 500), CHUNK, undefined, false)).records)
    const missing = (await encodeApp(app(8, 1, 500), CHUNK, undefined, false)).records
    add(missing.filter((record) => !record.key.endsWith('/1')))
    const read = await r.finish()
    expect(read.apps.get(6)).toEqual(app(6, 1))
    expect(read.apps.has(7)).toBe(false)
    expect(read.apps.has(8)).toBe(false)
    expect(skipped).toEqual([
      '6: state does not parse',
      '6: not JSON',
      '7: state does not parse',
      expect.stringMatching(/^8: a chunk of version \w+ is missing$/),
    ])
  })
})

/** A state that zstd cannot shrink much: its compressed form is chunked at CHUNK bytes too. */
const noisy = (appId: number, n: number): StoredApp<State> => ({
  appId,
  appliedOffset: String(n),
  state: { blob: randomBytes(600).toString('base64'), n },
})
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
const compressed = (value: Buffer | null) => value?.subarray(0, 4).equals(ZSTD_MAGIC) === true

describe('the changelog reader, states compressed by the store', () => {
  test('a compressed state is smaller, one record or chunks of the compressed bytes, and reads back equal', async () => {
    const small = await encodeApp(app(1, 1, 5_000), CHUNK * 4, undefined, true)
    expect(small.records).toHaveLength(1)
    expect(compressed(small.records[0]?.value ?? null)).toBe(true)
    expect(small.records[0]?.value?.length).toBeLessThan(JSON.stringify(app(1, 1, 5_000)).length / 10)
    const large = await encodeApp(noisy(2, 2), CHUNK, undefined, true)
    expect(large.chunked?.chunks).toBeGreaterThan(3)
    const stored = Buffer.concat(large.records.slice(0, -1).map((record) => record.value as Buffer))
    expect(compressed(stored)).toBe(true)
    const { r, add, skipped } = reader()
    add([...small.records, ...large.records])
    const read = await r.finish()
    expect(read.apps.get(1)).toEqual(app(1, 1, 5_000))
    expect(read.apps.get(2)?.state.n).toBe(2)
    expect(read.chunked.get(2)).toEqual(large.chunked)
    expect(skipped).toEqual([])
  })

  test('records apply in offset order whatever their form: a JSON record after a compressed one wins, and the reverse', async () => {
    const { r, add, skipped } = reader()
    add((await encodeApp(app(3, 1, 50_000), CHUNK * 1000, undefined, true)).records)
    add((await encodeApp(app(3, 2), CHUNK, undefined, false)).records)
    add((await encodeApp(app(4, 1), CHUNK, undefined, false)).records)
    add((await encodeApp(app(4, 2, 50_000), CHUNK * 1000, undefined, true)).records)
    add((await encodeApp(app(5, 1, 50_000), CHUNK * 1000, undefined, true)).records)
    add([{ key: '5', value: null }])
    const read = await r.finish()
    expect(read.apps.get(3)).toEqual(app(3, 2))
    expect(read.apps.get(4)).toEqual(app(4, 2, 50_000))
    expect(read.apps.has(5)).toBe(false)
    expect(skipped).toEqual([])
  })

  test('of a one-record app, versions superseded by the time they are read cost no parse', async () => {
    const { r, add, parsed } = reader()
    // One fetch answer's records are added at once.
    const records = [
      ...(await Promise.all(
        [1, 2, 3].map((n) => encodeApp(app(2, n, 5_000), CHUNK * 1000, undefined, true)),
      )),
      await encodeApp(app(3, 1), CHUNK, undefined, false),
      await encodeApp(app(3, 2), CHUNK, undefined, false),
    ]
    add(records.flatMap((encoded) => encoded.records))
    const read = await r.finish()
    expect(read.apps.get(2)).toEqual(app(2, 3, 5_000))
    expect(read.apps.get(3)).toEqual(app(3, 2))
    expect(parsed).toEqual([3, 2])
  })

  test('superseded in one read, the newest usable record still wins; a tombstone ends the fallback', async () => {
    const { r, add, skipped, parsed } = reader()
    const good = (await encodeApp(app(6, 1, 5_000), CHUNK * 1000, undefined, true)).records
    const bad = (await encodeApp(app(6, 2, 5_000), CHUNK * 1000, undefined, true)).records
    const truncated = bad.map((record) => ({ ...record, value: record.value?.subarray(0, -8) ?? null }))
    add([
      ...good,
      ...(await encodeApp(app(6, -1), CHUNK, undefined, true)).records,
      ...truncated,
      { key: '6', value: Buffer.from('{not json') },
      ...(await encodeApp(app(8, 1), CHUNK, undefined, false)).records,
      { key: '8', value: null },
      { key: '8', value: Buffer.from('{not json') },
    ])
    const read = await r.finish()
    expect(read.apps.get(6)).toEqual(app(6, 1, 5_000))
    expect(read.apps.has(8)).toBe(false)
    expect(parsed).toEqual([-1, 1])
    expect(skipped).toEqual([
      '6: state does not parse',
      '6: compressed state does not decompress (unexpected end of file)',
      '6: not JSON',
      '8: not JSON',
    ])
  })

  test('a truncated or corrupt compressed record is refused with the reason; the previous state stays', async () => {
    const { r, add, skipped } = reader()
    add((await encodeApp(app(6, 1), CHUNK, undefined, true)).records)
    const [next] = (await encodeApp(app(6, 2, 5_000), CHUNK * 4, undefined, true)).records
    const value = next?.value as Buffer
    add([{ key: '6', value: value.subarray(0, value.length - 8) }])
    const flipped = Buffer.from(value)
    flipped[Math.floor(value.length / 2)] = (flipped[Math.floor(value.length / 2)] ?? 0) ^ 0xff
    add([{ key: '6', value: flipped }])
    // A chunked one with a corrupt chunk: the app is dropped, as for a chunked state that does not parse.
    const chunks = (await encodeApp(noisy(7, 1), CHUNK, undefined, true)).records
    const first = chunks[0]?.value as Buffer
    add([{ key: chunks[0]?.key as string, value: Buffer.concat([first.subarray(0, 40), Buffer.alloc(40)]) }])
    add(chunks.slice(1))
    const read = await r.finish()
    expect(read.apps.get(6)).toEqual(app(6, 1))
    expect(read.apps.has(7)).toBe(false)
    expect(skipped).toEqual([
      '6: compressed state does not decompress (unexpected end of file)',
      expect.stringMatching(/^6: compressed state does not decompress \(.*checksum.*\)$/),
      expect.stringMatching(/^7: compressed state does not decompress \(.+\)$/),
    ])
  })
})
