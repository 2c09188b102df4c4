import { randomBytes } from 'node:crypto'
import { type PartitionerArgs, Partitioners, type PartitionMetadata } from 'kafkajs'
import { describe, expect, it } from 'vitest'
import { KeyedPartitioner } from './keyed-partitioner.ts'

/** `count` partitions, each with a leader unless listed in `leaderless`. */
function partitions(count: number, leaderless: number[] = []): PartitionMetadata[] {
  return Array.from({ length: count }, (_, partitionId) => ({
    partitionErrorCode: 0,
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 0,
    replicas: [0],
    isr: [0],
  }))
}

const args = (key: PartitionerArgs['message']['key'], count: number, leaderless: number[] = []) => ({
  topic: 'mixguard.events',
  partitionMetadata: partitions(count, leaderless),
  message: { key, value: Buffer.from('v') },
})

/** AppIDs as ingest keys them, task-like ids, text beyond ASCII, the empty key, random bytes as text. */
const keys = [
  ...Array.from({ length: 600 }, (_, i) => String(1_000_000_000 + i * 7919)),
  ...Array.from({ length: 600 }, (_, i) => `task-${i}-${randomBytes(6).toString('hex')}`),
  '',
  'ä',
  'ключ',
  '房间-1',
  '🎛️ mix',
  'x'.repeat(300),
  ...Array.from({ length: 300 }, () =>
    randomBytes(1 + ((randomBytes(1)[0] as number) % 40)).toString('latin1'),
  ),
]
const counts = [1, 2, 3, 5, 6, 7, 12, 16, 31, 64, 100]

describe('KeyedPartitioner', () => {
  it("gives every string key kafkajs's default partition, for many keys and partition counts, asked twice", () => {
    const reference = Partitioners.DefaultPartitioner()
    const keyed = KeyedPartitioner()
    for (const count of counts)
      for (const key of keys) {
        const expected = reference(args(key, count))
        expect(keyed(args(key, count)), `key ${JSON.stringify(key)}, ${count} partitions`).toBe(expected)
        expect(keyed(args(key, count)), `again: key ${JSON.stringify(key)}, ${count} partitions`).toBe(
          expected,
        )
      }
  })

  it("follows a topic's partition count when it changes at runtime (one partitioner, keys it has seen)", () => {
    const reference = Partitioners.DefaultPartitioner()
    const keyed = KeyedPartitioner()
    const seen = keys.slice(0, 200)
    for (const count of [3, 6, 3, 12, 1, 12]) {
      for (const key of seen) expect(keyed(args(key, count))).toBe(reference(args(key, count)))
    }
    // At least one key must have moved, or the counts above tested nothing.
    expect(seen.some((key) => keyed(args(key, 3)) !== keyed(args(key, 6)))).toBe(true)
  })

  it('keeps the partition of a key whose partition has no leader (as the default does)', () => {
    const reference = Partitioners.DefaultPartitioner()
    const keyed = KeyedPartitioner()
    for (const key of keys.slice(0, 100)) {
      const home = reference(args(key, 8))
      expect(keyed(args(key, 8))).toBe(home)
      expect(keyed(args(key, 8, [home]))).toBe(home)
    }
  })

  it('uses a partition the message names, and hashes buffer keys as the default does', () => {
    const reference = Partitioners.DefaultPartitioner()
    const keyed = KeyedPartitioner()
    const home = reference(args('4001', 8))
    const named = (home + 1) % 8
    const naming = { ...args('4001', 8), message: { key: '4001', value: null, partition: named } }
    expect(keyed(args('4001', 8))).toBe(home)
    expect(keyed(naming)).toBe(named)
    expect(keyed(naming)).toBe(named)
    expect(keyed(args('4001', 8))).toBe(home)
    for (const key of keys.slice(0, 50)) {
      const buffer = Buffer.from(key)
      expect(keyed(args(buffer, 16))).toBe(reference(args(buffer, 16)))
    }
  })

  it('spreads messages without a key over the partitions that have a leader', () => {
    const keyed = KeyedPartitioner()
    const chosen = new Set(Array.from({ length: 40 }, () => keyed(args(null, 4, [1]))))
    expect([...chosen].sort()).toEqual([0, 2, 3])
  })
})
