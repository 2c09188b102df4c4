import { describe, expect, it } from 'vitest'
import { decide } from './decide.ts'
import { emptyState, parseAppState } from './model.ts'
import { bucketOf, tableOf, tget, tkeys } from './table.ts'
import { APP, closed, created, policyWith, startMix, T0 } from './test-kit.ts'

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
})
