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
