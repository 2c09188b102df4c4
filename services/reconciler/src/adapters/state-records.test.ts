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

describe('the changelog reader', () => {
  test('a small state is one record and a large one chunks plus a manifest; both read back equal', () => {
    const small = encodeApp(app(1, 1), CHUNK, undefined)
    const large = encodeApp(app(2, 2, 500), CHUNK, undefined)
    expect(small.records).toHaveLength(1)
    expect(small.chunked).toBeUndefined()
    expect(large.chunked?.chunks).toBeGreaterThan(3)
    const { r, add, skipped } = reader()
    add([...small.records, ...large.records])
    const read = r.finish()
    expect(read.apps.get(1)).toEqual(app(1, 1))
    expect(read.apps.get(2)).toEqual(app(2, 2, 500))
    expect(read.chunked.get(2)).toEqual(large.chunked)
    expect(skipped).toEqual([])
  })

  test('of a chunked app only the latest version is parsed (an uncompacted tail costs no parse)', () => {
    const { r, add, parsed } = reader()
    const first = encodeApp(app(2, 7, 500), CHUNK, undefined)
    add(first.records)
    add(encodeApp(app(2, 8, 500), CHUNK, first.chunked).records)
    expect(r.finish().apps.get(2)?.state.n).toBe(8)
    expect(parsed).toEqual([8])
  })

  test('the same manifest read twice (a retried write) keeps the state it names', () => {
    const { r, add, skipped } = reader()
    const records = encodeApp(app(2, 7, 500), CHUNK, undefined).records
    add(records)
    add(records.slice(-1))
    expect(r.finish().apps.get(2)).toEqual(app(2, 7, 500))
    expect(skipped).toEqual([])
  })

  test('the latest record wins: versions, tombstones of old chunks, a tombstone for the app', () => {
    const { r, add, skipped } = reader()
    const first = encodeApp(app(3, 1, 500), CHUNK, undefined)
    add(first.records)
    const second = encodeApp(app(3, 2, 300), CHUNK, first.chunked)
    add(second.records)
    add(encodeApp(app(4, 1, 500), CHUNK, undefined).records)
    const shrunk = encodeApp(app(4, 2), CHUNK, undefined)
    add(shrunk.records)
    add(encodeApp(app(5, 1), CHUNK, undefined).records)
    add([{ key: '5', value: null }])
    const read = r.finish()
    expect(read.apps.get(3)).toEqual(app(3, 2, 300))
    expect(read.chunked.get(3)).toEqual(second.chunked)
    expect(read.apps.get(4)).toEqual(app(4, 2))
    expect(read.chunked.has(4)).toBe(false)
    expect(read.apps.has(5)).toBe(false)
    expect(skipped).toEqual([])
  })

  test('bad records are skipped as before: a bad one-record state keeps the previous, a bad chunked one drops the app', () => {
    const { r, add, skipped } = reader()
    add(encodeApp(app(6, 1), CHUNK, undefined).records)
    add(encodeApp(app(6, -1), CHUNK, undefined).records)
    add([{ key: '6', value: Buffer.from('{not json') }])
    add(encodeApp(app(7, 1), CHUNK, undefined).records)
    add(encodeApp(app(7, -1, 500), CHUNK, undefined).records)
    const missing = encodeApp(app(8, 1, 500), CHUNK, undefined).records
    add(missing.filter((record) => !record.key.endsWith('/1')))
    const read = r.finish()
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
