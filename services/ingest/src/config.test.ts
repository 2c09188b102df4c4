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

  test('two secrets during a rotation, comma-separated', () => {
    const result = loadConfig(
      { ...minimal, ZEGO_CALLBACK_SECRET: undefined, ZEGO_CALLBACK_SECRETS: 'old, new' },
      noFiles,
    )
    if (!result.ok) throw new Error(result.message)
    expect(result.config.apps.get(4001)?.callbackSecrets.map((s) => s.reveal())).toEqual(['old', 'new'])
  })

  test('many apps from a JSON file', () => {
    const file = JSON.stringify([
      { appId: 1, callbackSecrets: ['a'] },
      { appId: '2', callbackSecrets: ['b', 'c'], serverSecret: 's' },
    ])
    const result = loadConfig(
      { KAFKA_BROKERS: 'k:9092', INGEST_APPS_FILE: '/etc/apps.json' },
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
      { KAFKA_BROKERS: 'k:1', INGEST_APPS_FILE: 'apps.json' },
      {
        readFile: () => JSON.stringify([{ appId: 0, callbackSecrets: [], serverSecret: 'top-secret-value' }]),
      },
    )
    expect(bad.ok).toBe(false)
    if (!bad.ok) {
      expect(bad.message).toContain('INGEST_APPS_FILE at [0].appId')
      expect(bad.message).toContain('INGEST_APPS_FILE at [0].callbackSecrets')
      expect(bad.message).not.toContain('top-secret-value')
    }
    const twice = loadConfig(
      { ...minimal, INGEST_APPS_FILE: 'apps.json' },
      { readFile: () => JSON.stringify([{ appId: 4001, callbackSecrets: ['x'] }]) },
    )
    expect(twice.ok).toBe(false)
    if (!twice.ok) expect(twice.message).toContain('AppID 4001 is configured twice')
    const unreadable = loadConfig({ KAFKA_BROKERS: 'k:1', INGEST_APPS_FILE: '/nope' }, noFiles)
    expect(unreadable.ok).toBe(false)
    if (!unreadable.ok) expect(unreadable.message).toContain('INGEST_APPS_FILE cannot be read')
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
