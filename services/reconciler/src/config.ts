import { readFileSync } from 'node:fs'
import {
  appsVariables,
  brokerList,
  type KafkaAccess,
  kafkaAccessVariables,
  type LogLevel,
  logLevel,
  presentVariables,
  readApps,
  readKafkaAccess,
  type Secret,
  topicPrefix,
  wholeNumber,
  zegoApiVariables,
} from '@mixguard/service-kit'
import { z } from 'zod'
import { DEFAULT_GROUP_TIMING, type GroupTiming } from './adapters/kafka-source.ts'
import type { StateCompression } from './adapters/state-store.ts'
import { type AppPolicy, defaultPolicy, PolicyOverridesSchema } from './core/index.ts'

export interface ReconcilerConfig {
  /** statusPublic: serve /status to any client, not only loopback ones. */
  http: { host: string; port: number; statusPublic: boolean }
  logLevel: LogLevel
  shutdownTimeoutMs: number
  kafka: { brokers: string[]; clientId: string; groupId: string; topicPrefix: string; group: GroupTiming }
  zego: { baseUrl: string; timeoutMs: number; callsPerSecond: number }
  apps: Array<{ appId: number; serverSecret: Secret | null }>
  policyFor: (appId: number) => AppPolicy
  /** Deployment: TLS/SASL and who owns the topics (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_CREATE_TOPICS …). */
  kafkaAccess: KafkaAccess
  /** How the changelog stores states: v2 (compact) or v1, which versions before v2 read (a rollback). */
  stateFormat: 'v1' | 'v2'
  /**
   * How the changelog is compressed: zstd (each state record by the store; the default), gzip (Kafka
   * batches, what versions before zstd read) or none (see the state store).
   */
  stateCompression: StateCompression
}

export type ConfigResult =
  /** warnings: things that run but not as an operator would want; print them where a person looks. */
  | { ok: true; config: ReconcilerConfig; warnings: string[] }
  | { ok: false; problems: string[]; message: string }

const EnvSchema = z.object({
  RECONCILER_HOST: z.string().default('0.0.0.0'),
  RECONCILER_PORT: wholeNumber(0, 65535).default(8081),
  RECONCILER_LOG_LEVEL: logLevel,
  RECONCILER_STATUS_PUBLIC: z.enum(['true', 'false']).default('false'),
  // Above ZEGO_API_TIMEOUT_MS (10 s): a call in flight at SIGTERM ends, answered or timed out, and its
  // result is saved before the hand-over; below Kubernetes' default 30 s grace.
  RECONCILER_SHUTDOWN_TIMEOUT_MS: wholeNumber(100, 600_000).default(15_000),
  RECONCILER_GROUP_ID: z.string().min(1).default('mixguard-reconciler'),
  // How long the group waits for a silent (killed, frozen) member before handing its partitions on.
  // The broker accepts 6 s to 30 s by default (group.min/max.session.timeout.ms).
  RECONCILER_SESSION_TIMEOUT_MS: wholeNumber(1_000, 1_800_000).default(DEFAULT_GROUP_TIMING.sessionTimeoutMs),
  RECONCILER_HEARTBEAT_INTERVAL_MS: wholeNumber(100, 600_000).default(
    DEFAULT_GROUP_TIMING.heartbeatIntervalMs,
  ),
  // How long a rebalance waits for the live members to rejoin.
  RECONCILER_REBALANCE_TIMEOUT_MS: wholeNumber(1_000, 1_800_000).default(
    DEFAULT_GROUP_TIMING.rebalanceTimeoutMs,
  ),
  RECONCILER_DRY_RUN: z.enum(['true', 'false']).optional(),
  RECONCILER_STATE_FORMAT: z.enum(['v1', 'v2']).default('v2'),
  RECONCILER_STATE_COMPRESSION: z.enum(['zstd', 'gzip', 'none']).default('zstd'),
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().default('mixguard-reconciler'),
  TOPIC_PREFIX: topicPrefix,
  ...zegoApiVariables,
  ZEGO_CALLS_PER_SECOND: wholeNumber(1, 100).default(80),
  // The apps: the same variables and file format as ingest's.
  ...appsVariables,
  // Deployment (issue 10): Kafka TLS/SASL and topic ownership, the same variables in both services.
  ...kafkaAccessVariables,
})

/** Every variable this service reads: for the .env.example and deployment-manifest checks. */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape)

/** Reads the reconciler's configuration; every problem is collected so one run shows all of them. */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): ConfigResult {
  const present = presentVariables(env)
  const problems: string[] = []
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success)
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')} ${issue.message}`)

  const file = readApps(present, readFile, problems, PolicyOverridesSchema)
  if (
    parsed.success &&
    parsed.data.RECONCILER_HEARTBEAT_INTERVAL_MS * 3 > parsed.data.RECONCILER_SESSION_TIMEOUT_MS
  ) {
    problems.push(
      'RECONCILER_HEARTBEAT_INTERVAL_MS must be at most a third of RECONCILER_SESSION_TIMEOUT_MS (a member must survive a lost heartbeat or two)',
    )
  }
  const kafkaAccess = parsed.success ? readKafkaAccess(parsed.data, present, readFile, problems) : null
  if (problems.length > 0 || !parsed.success || kafkaAccess === null) {
    return {
      ok: false,
      problems,
      message: `invalid reconciler configuration:\n  - ${problems.join('\n  - ')}`,
    }
  }
  const e = parsed.data
  const apps = new Map(file.apps.map((a) => [a.appId, a]))
  const dryRun = e.RECONCILER_DRY_RUN === undefined ? {} : { dryRun: e.RECONCILER_DRY_RUN === 'true' }
  const policies = new Map<number, AppPolicy>()
  const policyFor = (appId: number): AppPolicy => {
    let policy = policies.get(appId)
    if (!policy) {
      const base = defaultPolicy(appId)
      policy = mergePolicy(
        mergePolicy(mergePolicy(base, file.defaults ?? {}), apps.get(appId)?.policy ?? {}),
        dryRun,
      )
      policies.set(appId, policy)
    }
    return policy
  }
  // Loud on purpose: such an app's orphaned mixes are found, decided and billed, and never stopped.
  const warnings = file.apps
    .filter((a) => a.serverSecret === null)
    .map(
      (a) =>
        `WARNING: app ${a.appId} has no ServerSecret: its mixes are watched but NEVER stopped (set ZEGO_SERVER_SECRET, or serverSecret in ZEGO_APPS_FILE)`,
    )
  if (e.RECONCILER_SHUTDOWN_TIMEOUT_MS <= e.ZEGO_API_TIMEOUT_MS)
    warnings.push(
      `WARNING: RECONCILER_SHUTDOWN_TIMEOUT_MS (${e.RECONCILER_SHUTDOWN_TIMEOUT_MS}) is not above ZEGO_API_TIMEOUT_MS (${e.ZEGO_API_TIMEOUT_MS}): a ZEGO call hanging at shutdown makes the reconciler leave without saving and handing over cleanly`,
    )
  return {
    ok: true,
    warnings,
    config: {
      http: {
        host: e.RECONCILER_HOST,
        port: e.RECONCILER_PORT,
        statusPublic: e.RECONCILER_STATUS_PUBLIC === 'true',
      },
      logLevel: e.RECONCILER_LOG_LEVEL,
      shutdownTimeoutMs: e.RECONCILER_SHUTDOWN_TIMEOUT_MS,
      kafka: {
        brokers: e.KAFKA_BROKERS,
        clientId: e.KAFKA_CLIENT_ID,
        groupId: e.RECONCILER_GROUP_ID,
        topicPrefix: e.TOPIC_PREFIX,
        group: {
          sessionTimeoutMs: e.RECONCILER_SESSION_TIMEOUT_MS,
          heartbeatIntervalMs: e.RECONCILER_HEARTBEAT_INTERVAL_MS,
          rebalanceTimeoutMs: e.RECONCILER_REBALANCE_TIMEOUT_MS,
        },
      },
      zego: {
        baseUrl: e.ZEGO_API_BASE_URL,
        timeoutMs: e.ZEGO_API_TIMEOUT_MS,
        callsPerSecond: e.ZEGO_CALLS_PER_SECOND,
      },
      apps: [...apps.values()].map(({ appId, serverSecret }) => ({ appId, serverSecret })),
      policyFor,
      kafkaAccess,
      stateFormat: e.RECONCILER_STATE_FORMAT,
      stateCompression: e.RECONCILER_STATE_COMPRESSION,
    },
  }
}

/** Overrides are partial at every level: `{ graceMs: { normal: 5000 } }` keeps the other graces. */
function mergePolicy(base: AppPolicy, overrides: z.output<typeof PolicyOverridesSchema>): AppPolicy {
  const merged: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(overrides)) {
    const current = (base as unknown as Record<string, unknown>)[key]
    merged[key] =
      value !== null && typeof value === 'object' && !Array.isArray(value) && typeof current === 'object'
        ? { ...(current as object), ...(value as object) }
        : value
  }
  return merged as unknown as AppPolicy
}
