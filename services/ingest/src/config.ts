import { readFileSync } from 'node:fs'
import { TOPICS } from '@mixguard/contracts'
import {
  appsVariables,
  brokerList,
  type KafkaAccess,
  kafkaAccessVariables,
  logLevel,
  presentVariables,
  readApps,
  readKafkaAccess,
  refuseRenamed,
  type Secret,
  secretFrom,
  topicPrefix,
  wholeNumber,
  zegoApiVariables,
} from '@mixguard/service-kit'
import { z } from 'zod'
import { type AppRegistry, type AppSecrets, createAppRegistry } from './apps.ts'

export interface IngestConfig {
  host: string
  port: number
  /** The admin listener (/metrics, and /healthz and /readyz again): never the public callback port. */
  admin: { host: string; port: number }
  callbackPath: string
  passthroughPath: string
  /** The callback route's body limit. */
  bodyLimitBytes: number
  /** The passthrough's body limit: larger bodies are refused with 413 before they are forwarded. */
  passthroughBodyLimitBytes: number
  /** The largest ZEGO answer the passthrough passes back; a larger one is refused and not recorded. */
  passthroughAnswerLimitBytes: number
  /** A callback whose `timestamp` is further than this from our clock (either way) is stale. */
  freshnessWindowMs: number
  nonceStore: NonceStoreConfig
  /** Callbacks processed at once (bodies already read). */
  maxConcurrentRequests: number
  /** Passthrough calls processed at once: a separate cap, so a slow ZEGO API cannot starve callbacks. */
  maxConcurrentPassthrough: number
  http: HttpTimeouts
  /**
   * Ingest processes sharing the port (node:cluster), each a full ingest with its own Kafka producer,
   * spool and admin port; more than one needs the Redis nonce store.
   */
  workers: number
  shutdownTimeoutMs: number
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent'
  spool: { dir: string; maxBytes: number }
  zegoApi: { baseUrl: string; timeoutMs: number }
  kafka: {
    brokers: string[]
    clientId: string
    topicPrefix: string
    /** How long a batch may wait for acks = all before it goes to the spool instead. */
    sendTimeoutMs: number
    lingerMs: number
    maxBatchRecords: number
    /** Bytes one batch may hold, below the topics' max.message.bytes; a larger record is set aside. */
    maxBatchBytes: number
  }
  /** Deployment: TLS/SASL and who owns the topics (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_CREATE_TOPICS …). */
  kafkaAccess: KafkaAccess
  /** After SIGTERM: how long /readyz fails while requests are still served, before shutdown starts. */
  drainDelayMs: number
  apps: AppRegistry
}

/** Where replay protection remembers signatures: this process (one replica) or a Redis every replica shares. */
type NonceStoreConfig =
  | { kind: 'memory'; maxEntries: number }
  | {
      kind: 'redis'
      /** May hold a password: a Secret, so it never prints. */
      url: Secret
      password: Secret | null
      /** Bound on every Redis command; past it the callback is answered 503. */
      timeoutMs: number
      keyPrefix: string
    }

/** The HTTP server's clocks against slow or idle clients. */
export interface HttpTimeouts {
  /** Time to receive a request's headers. */
  headersTimeoutMs: number
  /** Time to receive a whole request, body included; then 408 and the connection is closed. */
  requestTimeoutMs: number
  /** How long an idle keep-alive connection stays open: longer than a load balancer's idle timeout. */
  keepAliveTimeoutMs: number
}

export type ConfigResult =
  | { ok: true; config: IngestConfig }
  | { ok: false; problems: string[]; message: string }

const MiB = 1024 * 1024

// Ingest writes to these two topics; room for Kafka's batch header and per-record overhead (a few
// dozen bytes per record, at most KAFKA_MAX_BATCH records) stays below their max.message.bytes.
const DEFAULT_MAX_BATCH_BYTES =
  Math.min(TOPICS.events.maxMessageBytes, TOPICS['dead-letter'].maxMessageBytes) - 64 * 1024

const path = z.string().startsWith('/', 'must start with /')

const EnvSchema = z.object({
  INGEST_HOST: z.string().default('0.0.0.0'),
  INGEST_PORT: wholeNumber(0, 65535).default(8080),
  // /metrics is not for the internet: localhost unless the operator opens it (a pod IP for Prometheus).
  INGEST_ADMIN_HOST: z.string().default('127.0.0.1'),
  INGEST_ADMIN_PORT: wholeNumber(0, 65535).default(9464),
  INGEST_CALLBACK_PATH: path.default('/zego/callback'),
  INGEST_PASSTHROUGH_PATH: path.default('/zego/'),
  INGEST_BODY_LIMIT_BYTES: wholeNumber(1024, 16 * MiB).default(256 * 1024),
  // ZEGO retries for ~62 s after the first attempt; 5 minutes also covers clock skew.
  INGEST_FRESHNESS_WINDOW_MS: wholeNumber(10_000, 24 * 3600 * 1000).default(300_000),
  INGEST_NONCE_STORE: z.enum(['memory', 'redis'], { error: 'must be memory or redis' }).default('memory'),
  INGEST_NONCE_CACHE_MAX: wholeNumber(1000, 100_000_000).default(1_000_000),
  REDIS_URL: z.string().optional(),
  REDIS_URL_FILE: z.string().optional(),
  REDIS_PASSWORD: z.string().optional(),
  REDIS_PASSWORD_FILE: z.string().optional(),
  // ZEGO waits seconds for an answer; a Redis that takes longer than this is treated as down.
  INGEST_REDIS_TIMEOUT_MS: wholeNumber(10, 60_000).default(500),
  // ZEGO's documented request limits (stream lists, layouts) fit many times over in 64 KB.
  INGEST_PASSTHROUGH_BODY_LIMIT_BYTES: wholeNumber(1024, 16 * MiB).default(64 * 1024),
  // ZEGO's answers are a few KB (a StartMix with three outputs' play URLs, a room's stream list).
  INGEST_PASSTHROUGH_ANSWER_LIMIT_BYTES: wholeNumber(1024, 64 * MiB).default(1 * MiB),
  INGEST_MAX_CONCURRENT: wholeNumber(1, 100_000).default(1024),
  INGEST_PASSTHROUGH_MAX_CONCURRENT: wholeNumber(1, 100_000).default(256),
  INGEST_HEADERS_TIMEOUT_MS: wholeNumber(100, 600_000).default(10_000),
  INGEST_REQUEST_TIMEOUT_MS: wholeNumber(100, 600_000).default(15_000),
  // Above the usual load-balancer idle timeouts (AWS ALB and GCP: 60 s), so the balancer closes first.
  INGEST_KEEP_ALIVE_TIMEOUT_MS: wholeNumber(100, 3_600_000).default(65_000),
  INGEST_SHUTDOWN_TIMEOUT_MS: wholeNumber(100, 600_000).default(10_000),
  INGEST_WORKERS: wholeNumber(1, 64).default(1),
  INGEST_LOG_LEVEL: logLevel,
  INGEST_SPOOL_DIR: z.string().default('./ingest-spool'),
  INGEST_SPOOL_MAX_BYTES: wholeNumber(64 * 1024, Number.MAX_SAFE_INTEGER).default(256 * MiB),
  ...zegoApiVariables,
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().default('mixguard-ingest'),
  TOPIC_PREFIX: topicPrefix,
  KAFKA_SEND_TIMEOUT_MS: wholeNumber(100, 120_000).default(2_000),
  KAFKA_LINGER_MS: wholeNumber(0, 1_000).default(2),
  KAFKA_MAX_BATCH: wholeNumber(1, 100_000).default(500),
  KAFKA_MAX_BATCH_BYTES: wholeNumber(16 * 1024, 64 * MiB).default(DEFAULT_MAX_BATCH_BYTES),
  // The apps: the same variables and file format as the reconciler's.
  ...appsVariables,
  // Deployment (issue 10): Kafka TLS/SASL and topic ownership, the same variables in both services.
  ...kafkaAccessVariables,
  INGEST_DRAIN_DELAY_MS: wholeNumber(0, 600_000).default(0),
})

/** Every variable this service reads: for the .env.example and deployment-manifest checks. */
export const ENVIRONMENT_VARIABLES: readonly string[] = Object.keys(EnvSchema.shape)

// Renamed before 1.0 (a value under the old name is refused with the new name, never read).
const RENAMED = {
  INGEST_SHUTDOWN_DEADLINE_MS: 'INGEST_SHUTDOWN_TIMEOUT_MS',
  INGEST_FRESHNESS_WINDOW_SEC: 'INGEST_FRESHNESS_WINDOW_MS (in milliseconds)',
}

export interface LoadConfigOptions {
  readFile?: (path: string) => string
}

/**
 * Reads ingest's configuration from an environment map. Every problem is collected, so one run shows
 * all of them. One app comes from ZEGO_APP_ID and ZEGO_CALLBACK_SECRET(S) (comma-separated: the
 * current and the next secret during a rotation); many apps from the JSON file ZEGO_APPS_FILE.
 */
export function loadConfig(
  env: Readonly<Record<string, string | undefined>>,
  options: LoadConfigOptions = {},
): ConfigResult {
  const readFile = options.readFile ?? ((p: string) => readFileSync(p, 'utf8'))
  // An empty variable means "not set", as in most deployment tools.
  const present = presentVariables(env)
  const problems: string[] = []
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')} ${issue.message}`)
  }
  refuseRenamed(present, RENAMED, problems)
  const apps = ingestApps(present, readFile, problems)
  if (parsed.success && parsed.data.INGEST_HEADERS_TIMEOUT_MS > parsed.data.INGEST_REQUEST_TIMEOUT_MS) {
    problems.push('INGEST_HEADERS_TIMEOUT_MS must not be above INGEST_REQUEST_TIMEOUT_MS')
  }
  const kafkaAccess = parsed.success ? readKafkaAccess(parsed.data, present, readFile, problems) : null
  const nonceStore = parsed.success ? readNonceStore(parsed.data, present, readFile, problems) : null
  if (parsed.success) checkWorkers(parsed.data, nonceStore, problems)
  if (!parsed.success || kafkaAccess === null || nonceStore === null || problems.length > 0)
    return failure(problems)
  const e = parsed.data
  return {
    ok: true,
    config: {
      host: e.INGEST_HOST,
      port: e.INGEST_PORT,
      admin: { host: e.INGEST_ADMIN_HOST, port: e.INGEST_ADMIN_PORT },
      callbackPath: e.INGEST_CALLBACK_PATH,
      passthroughPath: e.INGEST_PASSTHROUGH_PATH,
      bodyLimitBytes: e.INGEST_BODY_LIMIT_BYTES,
      freshnessWindowMs: e.INGEST_FRESHNESS_WINDOW_MS,
      nonceStore,
      passthroughBodyLimitBytes: e.INGEST_PASSTHROUGH_BODY_LIMIT_BYTES,
      passthroughAnswerLimitBytes: e.INGEST_PASSTHROUGH_ANSWER_LIMIT_BYTES,
      maxConcurrentRequests: e.INGEST_MAX_CONCURRENT,
      maxConcurrentPassthrough: e.INGEST_PASSTHROUGH_MAX_CONCURRENT,
      http: {
        headersTimeoutMs: e.INGEST_HEADERS_TIMEOUT_MS,
        requestTimeoutMs: e.INGEST_REQUEST_TIMEOUT_MS,
        keepAliveTimeoutMs: e.INGEST_KEEP_ALIVE_TIMEOUT_MS,
      },
      workers: e.INGEST_WORKERS,
      shutdownTimeoutMs: e.INGEST_SHUTDOWN_TIMEOUT_MS,
      logLevel: e.INGEST_LOG_LEVEL,
      spool: { dir: e.INGEST_SPOOL_DIR, maxBytes: e.INGEST_SPOOL_MAX_BYTES },
      zegoApi: { baseUrl: e.ZEGO_API_BASE_URL, timeoutMs: e.ZEGO_API_TIMEOUT_MS },
      kafka: {
        brokers: e.KAFKA_BROKERS,
        clientId: e.KAFKA_CLIENT_ID,
        topicPrefix: e.TOPIC_PREFIX,
        sendTimeoutMs: e.KAFKA_SEND_TIMEOUT_MS,
        lingerMs: e.KAFKA_LINGER_MS,
        maxBatchRecords: e.KAFKA_MAX_BATCH,
        maxBatchBytes: e.KAFKA_MAX_BATCH_BYTES,
      },
      kafkaAccess,
      drainDelayMs: e.INGEST_DRAIN_DELAY_MS,
      apps: createAppRegistry(apps),
    },
  }
}

function readNonceStore(
  e: z.output<typeof EnvSchema>,
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
  problems: string[],
): NonceStoreConfig | null {
  const url = secretFrom(env, 'REDIS_URL', readFile, problems)
  const password = secretFrom(env, 'REDIS_PASSWORD', readFile, problems)
  if (e.INGEST_NONCE_STORE === 'memory') {
    // A Redis configured but not used would leave every replica with its own memory: say so.
    if (url !== null || password !== null)
      problems.push('REDIS_URL or REDIS_PASSWORD is set but INGEST_NONCE_STORE is memory: set it to redis')
    return { kind: 'memory', maxEntries: e.INGEST_NONCE_CACHE_MAX }
  }
  if (url === null) {
    if (!problems.some((p) => p.startsWith('REDIS_URL')))
      problems.push('REDIS_URL (or REDIS_URL_FILE) is required with INGEST_NONCE_STORE=redis')
    return null
  }
  if (!/^rediss?:\/\/[^\s]+$/.test(url.reveal())) {
    // Never the value: it may hold a password.
    problems.push('REDIS_URL must be a redis:// or rediss:// URL')
    return null
  }
  return {
    kind: 'redis',
    url,
    password,
    timeoutMs: e.INGEST_REDIS_TIMEOUT_MS,
    keyPrefix: `${e.TOPIC_PREFIX}:nonce:`,
  }
}

/** Several workers share one replay memory (Redis), and each has an admin port of its own. */
function checkWorkers(
  e: z.output<typeof EnvSchema>,
  nonceStore: NonceStoreConfig | null,
  problems: string[],
): void {
  const workers = e.INGEST_WORKERS
  if (workers === 1) return
  if (nonceStore?.kind === 'memory')
    problems.push(
      `INGEST_WORKERS=${workers} needs INGEST_NONCE_STORE=redis: with the memory store each worker remembers only the callbacks it saw, so a signature replayed to another worker would be accepted`,
    )
  const admin = e.INGEST_ADMIN_PORT
  if (admin !== 0 && admin + workers - 1 > 65535)
    problems.push(
      `INGEST_ADMIN_PORT ${admin} leaves no room for ${workers} workers (each has its own: ${admin} to ${admin + workers - 1})`,
    )
}

/** Ingest verifies callbacks: every app needs a callback secret; the policy is the reconciler's. */
function ingestApps(
  env: Record<string, string | undefined>,
  readFile: (path: string) => string,
  problems: string[],
): AppSecrets[] {
  const { apps } = readApps(env, readFile, problems, z.unknown())
  if (apps.length === 0 && env.ZEGO_APP_ID === undefined && env.ZEGO_APPS_FILE === undefined)
    problems.push('no app configured: set ZEGO_APP_ID and ZEGO_CALLBACK_SECRET, or ZEGO_APPS_FILE')
  for (const app of apps) {
    if (app.callbackSecrets.length === 0)
      problems.push(
        `AppID ${app.appId} has no callback secret, so its callbacks cannot be verified (ZEGO_CALLBACK_SECRET, or callbackSecrets in ZEGO_APPS_FILE)`,
      )
  }
  return apps.map(({ appId, callbackSecrets, serverSecret }) => ({ appId, callbackSecrets, serverSecret }))
}

function failure(problems: string[]): ConfigResult {
  const message = `ingest configuration is invalid:\n${problems.map((p) => `  - ${p}`).join('\n')}`
  return { ok: false, problems, message }
}
