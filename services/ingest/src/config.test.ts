import { inspect } from 'node:util'
import { describe, expect, test } from 'vitest'
import { loadConfig } from './config.ts'

const minimal = { KAFKA_BROKERS: '127.0.0.1:9092', ZEGO_APP_ID: '4001', ZEGO_CALLBACK_SECRET: 'cb-secret' }

const noFiles = {
  readFile: (p: string): string => {
    throw new Error(`ENOENT: ${p}`)
  },
}

describe('loadConfig', () => {
  test('one app from plain variables, with defaults for everything else', () => {
    const result = loadConfig(minimal, noFiles)
    if (!result.ok) throw new Error(result.message)
    const { config } = result
    expect(config.port).toBe(8080)
    expect(config.callbackPath).toBe('/zego/callback')
    expect(config.passthroughPath).toBe('/zego/')
    expect(config.freshnessWindowMs).toBe(300_000)
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], topicPrefix: 'mixguard', lingerMs: 2 })
    // Below the events and dead-letter topics' max.message.bytes (1 MiB), with room for Kafka's overhead.
    expect(config.kafka.maxBatchBytes).toBe(1024 * 1024 - 64 * 1024)
    expect(config.zegoApi.baseUrl).toBe('https://rtc-api.zego.im/')
    expect(config.apps.ids()).toEqual([4001])
    expect(config.apps.get(4001)?.callbackSecrets.map((s) => s.reveal())).toEqual(['cb-secret'])
  })

  test('the HTTP edge: per-route body limits and caps, and timeouts against slow clients', () => {
    const defaults = loadConfig(minimal, noFiles)
    if (!defaults.ok) throw new Error(defaults.message)
    expect(defaults.config).toMatchObject({
      bodyLimitBytes: 256 * 1024,
      passthroughBodyLimitBytes: 64 * 1024,
      maxConcurrentRequests: 1024,
      maxConcurrentPassthrough: 256,
      http: { headersTimeoutMs: 10_000, requestTimeoutMs: 15_000, keepAliveTimeoutMs: 65_000 },
    })
    const set = loadConfig(
      {
        ...minimal,
        INGEST_PASSTHROUGH_BODY_LIMIT_BYTES: '2048',
        INGEST_PASSTHROUGH_MAX_CONCURRENT: '8',
        INGEST_HEADERS_TIMEOUT_MS: '500',
        INGEST_REQUEST_TIMEOUT_MS: '700',
        INGEST_KEEP_ALIVE_TIMEOUT_MS: '90000',
      },
      noFiles,
    )
    if (!set.ok) throw new Error(set.message)
    expect(set.config).toMatchObject({
      passthroughBodyLimitBytes: 2048,
      maxConcurrentPassthrough: 8,
      http: { headersTimeoutMs: 500, requestTimeoutMs: 700, keepAliveTimeoutMs: 90_000 },
    })
    const inverted = loadConfig(
      { ...minimal, INGEST_HEADERS_TIMEOUT_MS: '5000', INGEST_REQUEST_TIMEOUT_MS: '1000' },
      noFiles,
    )
    expect(inverted.ok).toBe(false)
    expect(!inverted.ok && inverted.problems).toEqual([
      'INGEST_HEADERS_TIMEOUT_MS must not be above INGEST_REQUEST_TIMEOUT_MS',
    ])
  })

  test('the admin listener is on localhost by default, and configurable', () => {
    const defaults = loadConfig(minimal, noFiles)
    if (!defaults.ok) throw new Error(defaults.message)
    expect(defaults.config.admin).toEqual({ host: '127.0.0.1', port: 9464 })
    const set = loadConfig({ ...minimal, INGEST_ADMIN_HOST: '0.0.0.0', INGEST_ADMIN_PORT: '0' }, noFiles)
    if (!set.ok) throw new Error(set.message)
    expect(set.config.admin).toEqual({ host: '0.0.0.0', port: 0 })
  })

  test('the nonce store: memory by default; redis needs a URL, from a variable or a file, and never prints it', () => {
    const defaults = loadConfig(minimal, noFiles)
    if (!defaults.ok) throw new Error(defaults.message)
    expect(defaults.config.nonceStore).toEqual({ kind: 'memory', maxEntries: 1_000_000 })

    const url = 'redis://mixguard:hunter2@redis:6379'
    const redis = loadConfig({ ...minimal, INGEST_NONCE_STORE: 'redis', REDIS_URL: url }, noFiles)
    if (!redis.ok) throw new Error(redis.message)
    expect(redis.config.nonceStore).toMatchObject({
      kind: 'redis',
      timeoutMs: 500,
      keyPrefix: 'mixguard:nonce:',
    })
    if (redis.config.nonceStore.kind !== 'redis') throw new Error('not redis')
    expect(redis.config.nonceStore.url.reveal()).toBe(url)
    expect(inspect(redis.config)).not.toContain('hunter2')

    const fromFile = loadConfig(
      {
        ...minimal,
        INGEST_NONCE_STORE: 'redis',
        REDIS_URL_FILE: '/run/secrets/redis-url',
        REDIS_PASSWORD_FILE: '/run/secrets/redis-password',
        INGEST_REDIS_TIMEOUT_MS: '250',
      },
      { readFile: (p) => (p.endsWith('url') ? 'rediss://redis.internal:6380\n' : 'pw\n') },
    )
    if (!fromFile.ok) throw new Error(fromFile.message)
    if (fromFile.config.nonceStore.kind !== 'redis') throw new Error('not redis')
    expect(fromFile.config.nonceStore.url.reveal()).toBe('rediss://redis.internal:6380')
    expect(fromFile.config.nonceStore.password?.reveal()).toBe('pw')
    expect(fromFile.config.nonceStore.timeoutMs).toBe(250)

    const problems = (env: Record<string, string>) => {
      const r = loadConfig({ ...minimal, ...env }, noFiles)
      return r.ok ? [] : r.problems
    }
    expect(problems({ INGEST_NONCE_STORE: 'redis' })).toEqual([
      'REDIS_URL (or REDIS_URL_FILE) is required with INGEST_NONCE_STORE=redis',
    ])
    expect(problems({ INGEST_NONCE_STORE: 'redis', REDIS_URL: 'http://secret@x' })).toEqual([
      'REDIS_URL must be a redis:// or rediss:// URL',
    ])
    expect(problems({ REDIS_URL: url })).toEqual([
      'REDIS_URL or REDIS_PASSWORD is set but INGEST_NONCE_STORE is memory: set it to redis',
    ])
    expect(problems({ INGEST_NONCE_STORE: 'disk' })).toEqual(['INGEST_NONCE_STORE must be memory or redis'])
  })

  test('workers: one process by default; several need the shared nonce store and room for their admin ports', () => {
    const defaults = loadConfig(minimal, noFiles)
    if (!defaults.ok) throw new Error(defaults.message)
    expect(defaults.config.workers).toBe(1)

    const redis = { INGEST_NONCE_STORE: 'redis', REDIS_URL: 'redis://127.0.0.1:6379' }
    const two = loadConfig({ ...minimal, ...redis, INGEST_WORKERS: '2' }, noFiles)
    if (!two.ok) throw new Error(two.message)
    expect(two.config.workers).toBe(2)

    const problems = (env: Record<string, string>) => {
      const r = loadConfig({ ...minimal, ...env }, noFiles)
      return r.ok ? [] : r.problems
    }
    // Each worker would remember only the signatures it saw: a replay to another worker would pass.
    expect(problems({ INGEST_WORKERS: '2' })).toEqual([
      'INGEST_WORKERS=2 needs INGEST_NONCE_STORE=redis: with the memory store each worker remembers only the callbacks it saw, so a signature replayed to another worker would be accepted',
    ])
    expect(problems({ INGEST_WORKERS: '1' })).toEqual([])
    expect(problems({ ...redis, INGEST_WORKERS: '0' })).toEqual(['INGEST_WORKERS must be between 1 and 64'])
    expect(problems({ ...redis, INGEST_WORKERS: '2', INGEST_ADMIN_PORT: '65535' })).toEqual([
      'INGEST_ADMIN_PORT 65535 leaves no room for 2 workers (each has its own: 65535 to 65536)',
    ])
  })

  test('two secrets during a rotation, comma-separated', () => {
    const result = loadConfig(
      { ...minimal, ZEGO_CALLBACK_SECRET: undefined, ZEGO_CALLBACK_SECRETS: 'old, new' },
      noFiles,
    )
    if (!result.ok) throw new Error(result.message)
    expect(result.config.apps.get(4001)?.callbackSecrets.map((s) => s.reveal())).toEqual(['old', 'new'])
  })

  test('many apps from a JSON file', () => {
    const file = JSON.stringify({
      defaults: { graceMs: { normal: 5000 } },
      apps: [
        { appId: 1, callbackSecrets: ['a'], policy: { dryRun: true } },
        { appId: '2', callbackSecrets: ['b', 'c'], serverSecret: 's' },
      ],
    })
    const result = loadConfig(
      { KAFKA_BROKERS: 'k:9092', ZEGO_APPS_FILE: '/etc/apps.json' },
      { readFile: (p) => (p === '/etc/apps.json' ? file : '') },
    )
    if (!result.ok) throw new Error(result.message)
    expect(result.config.apps.ids()).toEqual([1, 2])
    expect(result.config.apps.get(2)?.serverSecret?.reveal()).toBe('s')
  })

  test('every bad variable is listed in one error', () => {
    const result = loadConfig(
      {
        INGEST_PORT: 'eighty',
        INGEST_SPOOL_MAX_BYTES: '10',
        KAFKA_BROKERS: 'nohost',
        ZEGO_API_BASE_URL: 'ftp://x',
        TOPIC_PREFIX: 'bad prefix!',
        INGEST_LOG_LEVEL: 'loud',
        ZEGO_APP_ID: '4001',
      },
      noFiles,
    )
    expect(result.ok).toBe(false)
    if (result.ok) return
    const text = result.message
    for (const name of [
      'INGEST_PORT',
      'INGEST_SPOOL_MAX_BYTES',
      'KAFKA_BROKERS',
      'ZEGO_API_BASE_URL',
      'TOPIC_PREFIX',
      'INGEST_LOG_LEVEL',
      'ZEGO_CALLBACK_SECRET',
    ]) {
      expect(text).toContain(name)
    }
    expect(result.problems.length).toBeGreaterThanOrEqual(7)
  })

  test('no app, a missing KAFKA_BROKERS, and a secret without an AppID are errors', () => {
    const none = loadConfig({}, noFiles)
    expect(none.ok).toBe(false)
    if (!none.ok) {
      expect(none.message).toContain('KAFKA_BROKERS is required')
      expect(none.message).toContain('no app configured')
    }
    const orphan = loadConfig({ KAFKA_BROKERS: 'k:1', ZEGO_CALLBACK_SECRET: 'x' }, noFiles)
    expect(orphan.ok).toBe(false)
    if (!orphan.ok) expect(orphan.message).toContain('ZEGO_APP_ID is required')
  })

  test('a bad apps file names the field and the place, never the secret; an AppID twice is an error', () => {
    const bad = loadConfig(
      { KAFKA_BROKERS: 'k:1', ZEGO_APPS_FILE: 'apps.json' },
      {
        readFile: () =>
          JSON.stringify({ apps: [{ appId: 0, callbackSecrets: [], serverSecret: 'top-secret-value' }] }),
      },
    )
    expect(bad.ok).toBe(false)
    if (!bad.ok) {
      expect(bad.message).toContain('ZEGO_APPS_FILE at .apps[0].appId')
      expect(bad.message).toContain('ZEGO_APPS_FILE at .apps[0].callbackSecrets')
      expect(bad.message).not.toContain('top-secret-value')
    }
    const twice = loadConfig(
      { ...minimal, ZEGO_APPS_FILE: 'apps.json' },
      { readFile: () => JSON.stringify({ apps: [{ appId: 4001, callbackSecrets: ['x'] }] }) },
    )
    expect(twice.ok).toBe(false)
    if (!twice.ok) expect(twice.message).toContain('AppID 4001 is configured twice')
    const unreadable = loadConfig({ KAFKA_BROKERS: 'k:1', ZEGO_APPS_FILE: '/nope' }, noFiles)
    expect(unreadable.ok).toBe(false)
    if (!unreadable.ok) expect(unreadable.message).toContain('ZEGO_APPS_FILE cannot be read')
  })

  test('an apps file that is not JSON is reported by place, never by quoting it', () => {
    const broken =
      '{"apps": [{"appId": 4002, "callbackSecrets": ["cb-top-secret-1"], "serverSecret": "srv-top-secret-2" oops}]}'
    const bad = loadConfig({ KAFKA_BROKERS: 'k:1', ZEGO_APPS_FILE: 'apps.json' }, { readFile: () => broken })
    expect(bad.ok).toBe(false)
    if (!bad.ok) {
      expect(bad.message).toMatch(/ZEGO_APPS_FILE \(apps\.json\) is not JSON: .*line 1, column \d+/)
      expect(bad.message).not.toContain('top-secret')
    }
  })

  test('an app without a callback secret is an error: ingest could not verify its callbacks', () => {
    const result = loadConfig(
      { KAFKA_BROKERS: 'k:1', ZEGO_APPS_FILE: 'apps.json' },
      { readFile: () => JSON.stringify({ apps: [{ appId: 7, serverSecret: 's' }] }) },
    )
    expect(!result.ok && result.problems).toEqual([
      'AppID 7 has no callback secret, so its callbacks cannot be verified (ZEGO_CALLBACK_SECRET, or callbackSecrets in ZEGO_APPS_FILE)',
    ])
  })

  test('renamed variables are refused with their new name, never read', () => {
    const result = loadConfig(
      {
        ...minimal,
        INGEST_SHUTDOWN_DEADLINE_MS: '5000',
        INGEST_FRESHNESS_WINDOW_SEC: '60',
        INGEST_APPS_FILE: 'apps.json',
      },
      noFiles,
    )
    expect(!result.ok && result.problems).toEqual([
      'INGEST_SHUTDOWN_DEADLINE_MS was renamed INGEST_SHUTDOWN_TIMEOUT_MS: rename it (no value is read from INGEST_SHUTDOWN_DEADLINE_MS)',
      'INGEST_FRESHNESS_WINDOW_SEC was renamed INGEST_FRESHNESS_WINDOW_MS (in milliseconds): rename it (no value is read from INGEST_FRESHNESS_WINDOW_SEC)',
      'INGEST_APPS_FILE was renamed ZEGO_APPS_FILE: rename it (no value is read from INGEST_APPS_FILE)',
    ])
  })

  test('secrets never print: not as JSON, not through inspect', () => {
    const result = loadConfig({ ...minimal, ZEGO_SERVER_SECRET: 'server-secret' }, noFiles)
    if (!result.ok) throw new Error(result.message)
    const app = result.config.apps.get(4001)
    expect(JSON.stringify(app)).not.toContain('cb-secret')
    expect(inspect(app, { depth: 5 })).not.toContain('cb-secret')
    expect(`${app?.serverSecret}`).not.toContain('server-secret')
  })
})
