import { describe, expect, it } from 'vitest'
import { decide } from './decide.ts'
import { emptyState, parseAppState } from './model.ts'
import { storedState } from './stored-state.ts'
import { bucketOf, sizeOf, tableOf, tget, tkeys } from './table.ts'
import { APP, closed, created, driver, policyWith, startMix, T0 } from './test-kit.ts'

describe('bucketed tables', () => {
  it('hash keys to stable buckets', () => {
    // Fixed values: a changelog written by one version must be read by the next.
    expect(bucketOf('')).toBe('b5')
    expect(bucketOf('s1')).toBe(bucketOf('s1'))
    expect(new Set(Array.from({ length: 1000 }, (_, i) => bucketOf(`stream-${i}`))).size).toBe(64)
  })

  it('find what they hold', () => {
    const table = tableOf({ a: 1, b: 2, c: 3 })
    expect(tget(table, 'b')).toBe(2)
    expect(tget(table, 'z')).toBeUndefined()
    expect(tkeys(table).sort()).toEqual(['a', 'b', 'c'])
  })

  it('parseAppState puts records back where their key hashes to', () => {
    const policy = policyWith({})
    let state = emptyState(APP)
    for (const event of [
      created({ streamId: 's1', at: T0, seq: 1 }),
      startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'] }),
    ]) {
      state = decide(state, { kind: 'event', event }, event.receivedAt, policy).state
    }
    const stream = tget(state.streams, 's1')
    const misplaced = { ...state, streams: { elsewhere: { s1: stream } } }
    const restored = parseAppState(JSON.parse(JSON.stringify(misplaced)))
    expect(restored).toEqual(state)
    if (restored === null) return
    const close = closed({ streamId: 's1', at: T0 + 5_000, seq: 2 })
    const next = decide(restored, { kind: 'event', event: close }, close.receivedAt, policy).state
    // The orphan deadline has passed: its room is listed before the stop.
    expect(decide(next, { kind: 'tick' }, T0 + 60_000, policy).decisions).toMatchObject([
      { action: 'verify', taskId: 'task-a', reason: 'orphaned', rule: 'room_streams' },
    ])
  })

  it('double their buckets as they fill, never writing the state decide() was given, and read back alike', () => {
    // The driver freezes every state it hands to decide(): a write into it throws.
    const d = driver()
    const create = (i: number) => created({ streamId: `s${i}`, roomId: `r${i % 50}`, at: T0 + i, seq: i })
    let n = 0
    while (sizeOf(d.state.streams) === 64) d.event(create(n++))
    expect(n).toBeGreaterThan(64 * 12)
    // Again up to the input that grows the table, now one that also writes a stream the state had, in a
    // bucket of another name once the buckets doubled.
    const old = Array.from({ length: n - 1 }, (_, i) => i).find(
      (i) => bucketOf(`s${i}`) !== bucketOf(`s${i}`, 128),
    )
    const again = driver()
    for (let i = 0; i < n - 1; i++) again.event(create(i))
    const given = again.state
    again.event(startMix({ taskId: 't', at: T0 + n, roomId: 'r0', inputs: [`s${n - 1}`, `s${old}`] }))
    expect(sizeOf(again.state.streams)).toBe(128)
    expect(sizeOf(given.streams)).toBe(64)
    expect(tget(given.streams, `s${old}`)?.observed).toBeNull()
    expect(tget(again.state.streams, `s${old}`)?.observed).toMatchObject({ present: true })
    expect(tkeys(again.state.streams).sort()).toEqual(Array.from({ length: n }, (_, i) => `s${i}`).sort())
    for (const restored of [
      parseAppState(JSON.parse(JSON.stringify(again.state))),
      parseAppState(JSON.parse(JSON.stringify(storedState(again.state)))),
    ]) {
      expect(restored).toEqual(again.state)
      if (restored !== null) expect(sizeOf(restored.streams)).toBe(128)
    }
  })
})
