import { describe, expect, it } from 'vitest'
import { appKey, LOGICAL_TOPICS, TOPICS, topicName, topicSpecs } from './topics.ts'

const DAY = 86_400_000

describe('topics', () => {
  it('names topics under the default prefix or a given one', () => {
    expect(topicName('events')).toBe('mixguard.events')
    expect(topicName('dead-letter', 't-42')).toBe('t-42.dead-letter')
  })

  it('refuses a prefix Kafka would refuse', () => {
    expect(() => topicName('events', 'bad prefix')).toThrow(RangeError)
  })

  it('keys every record by the AppID in decimal', () => {
    expect(appKey(4001)).toBe('4001')
    expect(appKey(4294967295)).toBe('4294967295')
    expect(() => appKey(0)).toThrow(RangeError)
    expect(() => appKey(1.5)).toThrow(RangeError)
    for (const logical of LOGICAL_TOPICS) expect(TOPICS[logical].key).toBe('appId')
  })

  it('gives admin specs with partitions and cleanup', () => {
    const specs = Object.fromEntries(topicSpecs('t').map((s) => [s.logical, s]))
    expect(Object.keys(specs)).toEqual(['events', 'decisions', 'outcomes', 'dead-letter', 'reconciler-state'])
    expect(specs.events).toMatchObject({ name: 't.events', partitions: 12 })
    expect(specs.events?.configEntries).toEqual([
      { name: 'cleanup.policy', value: 'delete' },
      { name: 'retention.ms', value: String(7 * DAY) },
      { name: 'max.message.bytes', value: String(1024 * 1024) },
    ])
    for (const logical of ['decisions', 'outcomes', 'dead-letter'] as const) {
      expect(specs[logical]?.configEntries).toContainEqual({ name: 'retention.ms', value: String(30 * DAY) })
      expect(specs[logical]?.configEntries).toContainEqual({ name: 'max.message.bytes', value: '1048576' })
    }
    expect(specs['reconciler-state']?.configEntries).toEqual([
      { name: 'cleanup.policy', value: 'compact' },
      { name: 'max.message.bytes', value: String(64 * 1024 * 1024) },
    ])
  })

  it('leaves replication to the cluster unless the operator chooses it', () => {
    for (const spec of topicSpecs('t')) {
      expect(spec.replicationFactor).toBe(-1)
      expect(spec.configEntries.map((e) => e.name)).not.toContain('min.insync.replicas')
    }
    for (const spec of topicSpecs('t', { replicationFactor: 3, minInsyncReplicas: 2 })) {
      expect(spec.replicationFactor).toBe(3)
      expect(spec.configEntries).toContainEqual({ name: 'min.insync.replicas', value: '2' })
    }
  })

  it('gives the changelog as many partitions as the events topic, so partition N of both belong together', () => {
    expect(TOPICS['reconciler-state'].partitions).toBe(TOPICS.events.partitions)
  })

  it('names a value schema for each topic but the reconciler’s own changelog', () => {
    expect(TOPICS.events.valueSchema).not.toBeNull()
    expect(TOPICS.decisions.valueSchema).not.toBeNull()
    expect(TOPICS['reconciler-state'].valueSchema).toBeNull()
  })
})
