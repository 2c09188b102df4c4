import type { z } from 'zod'
import { assertNever } from './assert-never.ts'
import { DeadLetterSchema, DecisionSchema, OutcomeSchema } from './decisions.ts'
import { ZegoEventSchema } from './events.ts'

/**
 * Every Kafka topic Mixguard uses. One key rule for all: the AppID in decimal. One consumer then owns
 * an app at a time, so per-app order, state and the per-app StopMix budget stay local and exact.
 */
export const DEFAULT_TOPIC_PREFIX = 'mixguard'
export const DEFAULT_PARTITIONS = 12

const DAY_MS = 24 * 60 * 60 * 1000
const MiB = 1024 * 1024

export const LOGICAL_TOPICS = ['events', 'decisions', 'outcomes', 'dead-letter', 'reconciler-state'] as const
export type LogicalTopic = (typeof LOGICAL_TOPICS)[number]

export type Cleanup = { policy: 'delete'; retentionMs: number } | { policy: 'compact' }

export type TopicDefinition = {
  logical: LogicalTopic
  partitions: number
  cleanup: Cleanup
  /**
   * The topic's `max.message.bytes`, set explicitly so producers can size their batches below it
   * whatever the broker's default is. It bounds one record batch of one partition (records and their
   * overhead), not only one record.
   */
  maxMessageBytes: number
  /** How the record key is made; the same for every topic. */
  key: 'appId'
  /** null: the value belongs to one service and is opaque to everyone else. */
  valueSchema: z.ZodType | null
  description: string
}

export const TOPICS = {
  events: {
    logical: 'events',
    partitions: DEFAULT_PARTITIONS,
    cleanup: { policy: 'delete', retentionMs: 7 * DAY_MS },
    maxMessageBytes: MiB,
    key: 'appId',
    valueSchema: ZegoEventSchema,
    description: 'ZEGO callbacks and observed mix-API calls (ZegoEvent)',
  },
  decisions: {
    logical: 'decisions',
    partitions: DEFAULT_PARTITIONS,
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    maxMessageBytes: MiB,
    key: 'appId',
    valueSchema: DecisionSchema,
    description: 'every stop / would-stop / verify decision, written before acting',
  },
  outcomes: {
    logical: 'outcomes',
    partitions: DEFAULT_PARTITIONS,
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    maxMessageBytes: MiB,
    key: 'appId',
    valueSchema: OutcomeSchema,
    description: 'the result of each StopMix / GetMixTaskInfo call',
  },
  'dead-letter': {
    logical: 'dead-letter',
    partitions: DEFAULT_PARTITIONS,
    cleanup: { policy: 'delete', retentionMs: 30 * DAY_MS },
    maxMessageBytes: MiB,
    key: 'appId',
    valueSchema: DeadLetterSchema,
    description: 'records that could not be used, with the reason (key null when the AppID is unknown)',
  },
  'reconciler-state': {
    logical: 'reconciler-state',
    // Same count as events, so partition N of both holds the same apps and is restored together.
    partitions: DEFAULT_PARTITIONS,
    cleanup: { policy: 'compact' },
    // One record holds one app's whole state, which outgrows Kafka's 1 MB default.
    maxMessageBytes: 64 * MiB,
    key: 'appId',
    valueSchema: null,
    description: "the reconciler's per-app state changelog: one record per app, compacted",
  },
} as const satisfies { [T in LogicalTopic]: TopicDefinition & { logical: T } }

const LEGAL_PREFIX = /^[a-zA-Z0-9._-]{1,200}$/

/** `<prefix>.<logical>`; tests pass their own prefix so each gets fresh topics. */
export function topicName(logical: LogicalTopic, prefix: string = DEFAULT_TOPIC_PREFIX): string {
  if (!LEGAL_PREFIX.test(prefix))
    throw new RangeError(`topic prefix ${JSON.stringify(prefix)} is not a legal Kafka name`)
  return `${prefix}.${logical}`
}

/** The record key for every topic: the AppID as a decimal string. */
export function appKey(appId: number): string {
  if (!Number.isInteger(appId) || appId < 1 || appId > 0xffffffff)
    throw new RangeError(`appKey: not an AppID: ${appId}`)
  return String(appId)
}

export type TopicSpec = TopicDefinition & {
  name: string
  /** -1: the cluster's `default.replication.factor`. */
  replicationFactor: number
  /** Ready for an admin client's createTopics (kafkajs `configEntries`). */
  configEntries: { name: string; value: string }[]
}

/**
 * Where the replicas go: the operator's choice, not the topic's. Defaults leave both to the cluster
 * (`default.replication.factor`, `min.insync.replicas`).
 */
export interface TopicPlacement {
  replicationFactor?: number
  minInsyncReplicas?: number | null
}

/** Everything an admin client needs to create the topics under one prefix. */
export function topicSpecs(
  prefix: string = DEFAULT_TOPIC_PREFIX,
  placement: TopicPlacement = {},
): TopicSpec[] {
  const { replicationFactor = -1, minInsyncReplicas = null } = placement
  return LOGICAL_TOPICS.map((logical) => {
    const definition: TopicDefinition = TOPICS[logical]
    return {
      ...definition,
      name: topicName(logical, prefix),
      replicationFactor,
      configEntries: [
        ...cleanupEntries(definition.cleanup),
        { name: 'max.message.bytes', value: String(definition.maxMessageBytes) },
        ...(minInsyncReplicas === null
          ? []
          : [{ name: 'min.insync.replicas', value: String(minInsyncReplicas) }]),
      ],
    }
  })
}

function cleanupEntries(cleanup: Cleanup): { name: string; value: string }[] {
  switch (cleanup.policy) {
    case 'delete':
      return [
        { name: 'cleanup.policy', value: 'delete' },
        { name: 'retention.ms', value: String(cleanup.retentionMs) },
      ]
    case 'compact':
      return [{ name: 'cleanup.policy', value: 'compact' }]
    default:
      return assertNever(cleanup)
  }
}
