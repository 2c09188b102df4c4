import kafkajs, { type Kafka } from 'kafkajs'
import { ensureTopics, type TopicSpec } from './client.ts'
import { createTopicCommands } from './topic-commands.ts'

// kafkajs is CommonJS and Node's named-export detection misses this one.
const { ConfigResourceTypes } = kafkajs

/** The topics exist but not as Mixguard needs them (or not at all, with creation off). */
export class TopicCheckError extends Error {
  override readonly name = 'TopicCheckError'
  readonly code = 'KAFKA_TOPICS_INCOMPATIBLE'
  readonly retryable = false
  readonly problems: string[]
  constructor(problems: string[], commands: string[]) {
    super(
      `Kafka topics are not usable:\n${problems.map((p) => `  - ${p}`).join('\n')}${
        commands.length > 0
          ? `\nCreate the missing topics with (add --command-config <file> for a secured cluster):\n${commands.map((c) => `  ${c}`).join('\n')}`
          : ''
      }`,
    )
    this.problems = problems
  }
}

export interface TopicCheckOptions {
  /** false: the operator owns the topics; only check them. */
  create: boolean
  /** Pairs of topic names that must have the same partition count (partition N of both go together). */
  samePartitions?: ReadonlyArray<readonly [string, string]>
  /** For the printed commands. */
  bootstrap: readonly string[]
  secured: boolean
}

export interface TopicCheckResult {
  /** Differences that work but that the operator may want to know about (a longer retention, say). */
  warnings: string[]
}

interface Observed {
  partitions: number
  replicas: number
  config: Map<string, string>
}

/**
 * Creates the missing topics (when allowed), then checks that every topic exists with settings
 * Mixguard can work with. Throws a `TopicCheckError` listing every problem and, for missing topics,
 * the commands that create them.
 */
export async function prepareTopics(
  kafka: Kafka,
  topics: readonly TopicSpec[],
  options: TopicCheckOptions,
): Promise<TopicCheckResult> {
  if (options.create) await ensureTopics(kafka, [...topics])
  const observed = await observe(kafka, topics)
  const problems: string[] = []
  const warnings: string[] = []
  const missing = topics.filter((t) => !observed.has(t.name))
  for (const t of missing)
    problems.push(`topic ${t.name} does not exist (topic creation is off: KAFKA_CREATE_TOPICS=false)`)
  for (const t of topics) {
    const seen = observed.get(t.name)
    if (seen) compare(t, seen, problems, warnings)
  }
  for (const [a, b] of options.samePartitions ?? []) {
    const left = observed.get(a)
    const right = observed.get(b)
    if (left && right && left.partitions !== right.partitions)
      problems.push(
        `${a} has ${left.partitions} partitions but ${b} has ${right.partitions}: they must be equal, because partition N of both holds the same apps (recreate ${b} with ${left.partitions} partitions)`,
      )
  }
  if (problems.length > 0)
    throw new TopicCheckError(problems, createTopicCommands(missing, options.bootstrap, options.secured))
  return { warnings }
}

function compare(want: TopicSpec, seen: Observed, problems: string[], warnings: string[]): void {
  if (seen.partitions !== want.partitions)
    warnings.push(`${want.name} has ${seen.partitions} partitions (Mixguard creates ${want.partitions})`)
  for (const entry of want.configEntries ?? []) {
    const actual = seen.config.get(entry.name)
    if (actual === undefined || actual === entry.value) continue
    switch (entry.name) {
      case 'cleanup.policy':
        problems.push(`${want.name} has cleanup.policy=${actual}, needs ${entry.value}`)
        break
      case 'max.message.bytes':
        if (Number(actual) >= Number(entry.value)) break
        // A state save the changelog refuses stalls its partition; on an append-only topic a smaller
        // limit costs only the records above it, which producers set aside (dead letter) and count.
        if (isCompacted(want))
          problems.push(`${want.name} has max.message.bytes=${actual}, needs at least ${entry.value}`)
        else
          warnings.push(
            `${want.name} has max.message.bytes=${actual} (Mixguard creates it with ${entry.value}): larger records are set aside as dead letters; keep KAFKA_MAX_BATCH_BYTES below it`,
          )
        break
      default:
        warnings.push(`${want.name} has ${entry.name}=${actual} (Mixguard creates it with ${entry.value})`)
    }
  }
  const minIsr = Number(seen.config.get('min.insync.replicas') ?? 1)
  if (minIsr > seen.replicas)
    problems.push(
      `${want.name} has min.insync.replicas=${minIsr} but only ${seen.replicas} replicas: no write with acks=all can succeed`,
    )
}

function isCompacted(spec: TopicSpec): boolean {
  return (spec.configEntries ?? []).some((e) => e.name === 'cleanup.policy' && e.value.includes('compact'))
}

async function observe(kafka: Kafka, topics: readonly TopicSpec[]): Promise<Map<string, Observed>> {
  const admin = kafka.admin()
  await admin.connect()
  try {
    const existing = new Set(await admin.listTopics())
    const present = topics.filter((t) => existing.has(t.name))
    const out = new Map<string, Observed>()
    if (present.length === 0) return out
    const metadata = await admin.fetchTopicMetadata({ topics: present.map((t) => t.name) })
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: present.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configNames: [...new Set(['min.insync.replicas', ...(t.configEntries ?? []).map((e) => e.name)])],
      })),
    })
    for (const topic of metadata.topics) {
      const resource = described.resources.find((r) => r.resourceName === topic.name)
      out.set(topic.name, {
        partitions: topic.partitions.length,
        replicas: Math.min(...topic.partitions.map((p) => p.replicas.length)),
        config: new Map((resource?.configEntries ?? []).map((e) => [e.configName, e.configValue])),
      })
    }
    return out
  } finally {
    await admin.disconnect()
  }
}
