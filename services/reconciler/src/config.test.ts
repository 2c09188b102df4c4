import { describe, expect, test } from 'vitest'
import { loadConfig } from './config.ts'

const base = { KAFKA_BROKERS: '127.0.0.1:9092' }
const file = (json: unknown) => () => JSON.stringify(json)

describe('loadConfig', () => {
  test('lists every bad variable at once', () => {
    const result = loadConfig({
      KAFKA_BROKERS: 'nohost',
      RECONCILER_PORT: '99999',
      ZEGO_CALLS_PER_SECOND: 'fast',
      ZEGO_SERVER_SECRET: 'x',
    })
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^KAFKA_BROKERS .*"nohost"/),
        expect.stringMatching(/^RECONCILER_PORT must be between 0 and 65535/),
        expect.stringMatching(/^ZEGO_CALLS_PER_SECOND must be a whole number/),
        'ZEGO_APP_ID is required when ZEGO_CALLBACK_SECRET(S) or ZEGO_SERVER_SECRET is set',
      ]),
    )
    expect(result.message).toContain('invalid reconciler configuration')
  })

  test('an apps file that is not JSON is reported by place, never by quoting it', () => {
    const broken = '{"apps": [{"appId": 42, "serverSecret": "srv-top-secret-3" oops}]}'
    const result = loadConfig({ ...base, ZEGO_APPS_FILE: 'apps.json' }, () => broken)
    expect(result.ok).toBe(false)
    if (!result.ok) {
      expect(result.message).toMatch(/ZEGO_APPS_FILE \(apps\.json\) is not JSON: .*line 1, column \d+/)
      expect(result.message).not.toContain('top-secret')
    }
  })

  test('merges policy overrides over the defaults, per app, and keeps secrets unprintable', () => {
    const result = loadConfig(
      { ...base, ZEGO_APPS_FILE: 'apps.json' },
      file({
        defaults: { graceMs: { normal: 5_000 } },
        apps: [
          {
            appId: 42,
            serverSecret: 's3cr3t',
            policy: { supersession: { sharedUserInRoom: false }, dryRun: true },
          },
        ],
      }),
    )
    expect(result.ok).toBe(true)
    if (!result.ok) return
    const policy = result.config.policyFor(42)
    expect(policy.graceMs).toMatchObject({ normal: 5_000, reconnectable: 90_000 })
    expect(policy.supersession).toEqual({ sharedOutput: true, sharedUserInRoom: false })
    expect(policy.dryRun).toBe(true)
    expect(result.config.policyFor(43).dryRun).toBe(false)
    expect(result.config.policyFor(43).graceMs.normal).toBe(5_000)
    expect(JSON.stringify(result.config.apps)).not.toContain('s3cr3t')
    expect(result.config.apps[0]?.serverSecret?.reveal()).toBe('s3cr3t')
  })

  test('the room sweep is on by default; an app may switch it off or change its share of the list budget', () => {
    const result = loadConfig(
      { ...base, ZEGO_APPS_FILE: 'apps.json' },
      file({
        defaults: { roomSweep: { listShare: 0.25 } },
        apps: [{ appId: 42, policy: { roomSweep: { enabled: false } } }],
      }),
    )
    expect(result.ok).toBe(true)
    if (!result.ok) return
    expect(result.config.policyFor(42).roomSweep).toEqual({ enabled: false, listShare: 0.25 })
    expect(result.config.policyFor(43).roomSweep).toEqual({ enabled: true, listShare: 0.25 })
    const bad = loadConfig(
      { ...base, ZEGO_APPS_FILE: 'apps.json' },
      file({ apps: [{ appId: 1, policy: { roomSweep: { listShare: 0 } } }] }),
    )
    expect(bad.ok).toBe(false)
  })

  test('a misspelt policy key is an error, not a silent default', () => {
    const result = loadConfig(
      { ...base, ZEGO_APPS_FILE: 'apps.json' },
      file({ apps: [{ appId: 1, policy: { graceMS: {} } }] }),
    )
    expect(result.ok).toBe(false)
    if (!result.ok)
      expect(result.problems.join('\n')).toMatch(/ZEGO_APPS_FILE at \.apps\[0\]\.policy: .*graceMS/)
  })

  test('an app without a ServerSecret starts, with a loud warning naming the app and the fix', () => {
    const result = loadConfig(
      { ...base, ZEGO_APP_ID: '9', ZEGO_CALLBACK_SECRET: 'cb', ZEGO_APPS_FILE: 'apps.json' },
      file({
        apps: [
          { appId: 42, serverSecret: 's' },
          { appId: 43, callbackSecrets: ['cb'] },
        ],
      }),
    )
    if (!result.ok) throw new Error(result.message)
    expect(result.warnings).toEqual([
      'WARNING: app 9 has no ServerSecret: its mixes are watched but NEVER stopped (set ZEGO_SERVER_SECRET, or serverSecret in ZEGO_APPS_FILE)',
      'WARNING: app 43 has no ServerSecret: its mixes are watched but NEVER stopped (set ZEGO_SERVER_SECRET, or serverSecret in ZEGO_APPS_FILE)',
    ])
  })

  test('the ZEGO API timeout and the apps file are the same variables, with the same defaults, as ingest', () => {
    const result = loadConfig(
      { ...base, ZEGO_APP_ID: '9', ZEGO_SERVER_SECRET_FILE: '/run/secrets/zego' },
      (p) => (p === '/run/secrets/zego' ? 'from-file\n' : ''),
    )
    if (!result.ok) throw new Error(result.message)
    expect(result.config.zego.timeoutMs).toBe(10_000)
    expect(result.config.shutdownTimeoutMs).toBe(15_000)
    const tight = loadConfig({ ...base, RECONCILER_SHUTDOWN_TIMEOUT_MS: '10000' })
    expect(tight.ok && tight.warnings).toEqual([
      'WARNING: RECONCILER_SHUTDOWN_TIMEOUT_MS (10000) is not above ZEGO_API_TIMEOUT_MS (10000): a ZEGO call hanging at shutdown makes the reconciler leave without saving and handing over cleanly',
    ])
    expect(result.config.apps[0]?.serverSecret?.reveal()).toBe('from-file')
    const renamed = loadConfig({ ...base, RECONCILER_APPS_FILE: 'apps.json' })
    expect(!renamed.ok && renamed.problems).toEqual([
      'RECONCILER_APPS_FILE was renamed ZEGO_APPS_FILE: rename it (no value is read from RECONCILER_APPS_FILE)',
    ])
  })

  test.each([
    // v1: changelog states that versions before v2 read, for a rollout that may roll back.
    { name: 'RECONCILER_STATE_FORMAT', field: 'stateFormat', byDefault: 'v2', other: 'v1', wrong: 'v3' },
    // gzip: a third of the changelog's bytes, and quicker stops under load; none: a quicker restore.
    {
      name: 'RECONCILER_STATE_COMPRESSION',
      field: 'stateCompression',
      byDefault: 'zstd',
      other: 'gzip',
      wrong: 'lz4',
    },
  ] as const)(
    '$name: $byDefault by default, $other when set, anything else refused',
    ({ name, field, byDefault, other, wrong }) => {
      const defaults = loadConfig(base)
      expect(defaults.ok && defaults.config[field]).toBe(byDefault)
      const set = loadConfig({ ...base, [name]: other })
      expect(set.ok && set.config[field]).toBe(other)
      const refused = loadConfig({ ...base, [name]: wrong })
      expect(!refused.ok && refused.problems.join('\n')).toContain(name)
    },
  )

  test('RECONCILER_DRY_RUN=true puts every app in dry-run', () => {
    const result = loadConfig({
      ...base,
      RECONCILER_DRY_RUN: 'true',
      ZEGO_APP_ID: '9',
      ZEGO_SERVER_SECRET: 'x',
    })
    expect(result.ok && result.config.policyFor(9).dryRun).toBe(true)
  })

  test('consumer-group timing: defaults, overrides, and a heartbeat that fits the session', () => {
    const defaults = loadConfig(base)
    expect(defaults.ok && defaults.config.kafka.group).toEqual({
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 1_000,
      rebalanceTimeoutMs: 10_000,
    })
    const set = loadConfig({
      ...base,
      RECONCILER_SESSION_TIMEOUT_MS: '12000',
      RECONCILER_HEARTBEAT_INTERVAL_MS: '3000',
      RECONCILER_REBALANCE_TIMEOUT_MS: '30000',
    })
    expect(set.ok && set.config.kafka.group).toEqual({
      sessionTimeoutMs: 12_000,
      heartbeatIntervalMs: 3_000,
      rebalanceTimeoutMs: 30_000,
    })
    const bad = loadConfig({ ...base, RECONCILER_HEARTBEAT_INTERVAL_MS: '3000' })
    expect(bad.ok).toBe(false)
    expect(bad.ok || bad.problems).toEqual([
      expect.stringMatching(/^RECONCILER_HEARTBEAT_INTERVAL_MS must be at most a third/),
    ])
  })
})
