import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { readApps } from './apps-env.ts'

const files =
  (contents: Record<string, string>) =>
  (path: string): string => {
    const text = contents[path]
    if (text === undefined) throw Object.assign(new Error(`no ${path}`), { code: 'ENOENT' })
    return text
  }
const read = (env: Record<string, string>, contents: Record<string, string> = {}) => {
  const problems: string[] = []
  const apps = readApps(env, files(contents), problems, z.strictObject({ dryRun: z.boolean().optional() }))
  return { ...apps, problems }
}

describe('readApps', () => {
  test('one app from variables, its secrets from *_FILE variants (a trailing newline dropped)', () => {
    const { apps, problems } = read(
      { ZEGO_APP_ID: '5', ZEGO_SERVER_SECRET_FILE: '/s/server', ZEGO_CALLBACK_SECRET_FILE: '/s/cb' },
      { '/s/server': 'srv\n', '/s/cb': 'cb\n' },
    )
    expect(problems).toEqual([])
    expect(
      apps.map((a) => [a.appId, a.serverSecret?.reveal(), a.callbackSecrets.map((s) => s.reveal())]),
    ).toEqual([[5, 'srv', ['cb']]])
  })

  test('a secret set both ways, or without an AppID, is an error', () => {
    expect(
      read({ ZEGO_APP_ID: '5', ZEGO_SERVER_SECRET: 'a', ZEGO_SERVER_SECRET_FILE: '/s' }).problems,
    ).toEqual(['ZEGO_SERVER_SECRET and ZEGO_SERVER_SECRET_FILE are both set: set one'])
    expect(read({ ZEGO_SERVER_SECRET: 'a' }).problems).toEqual([
      'ZEGO_APP_ID is required when ZEGO_CALLBACK_SECRET(S) or ZEGO_SERVER_SECRET is set',
    ])
  })

  test('the file: defaults and per-app policy checked by the given schema, secrets optional per app', () => {
    const file = {
      defaults: { dryRun: false },
      apps: [{ appId: '7', serverSecret: 's', policy: { dryRun: true } }],
    }
    const { apps, defaults, problems } = read(
      { ZEGO_APPS_FILE: 'a.json' },
      { 'a.json': JSON.stringify(file) },
    )
    expect(problems).toEqual([])
    expect(defaults).toEqual({ dryRun: false })
    expect(apps).toMatchObject([{ appId: 7, callbackSecrets: [], policy: { dryRun: true } }])
  })

  test('a misspelt key, a list (the old ingest format) and a renamed variable are errors that say what to do', () => {
    const typo = { apps: [{ appId: 7, serverSecert: 'top-secret' }] }
    expect(read({ ZEGO_APPS_FILE: 'a.json' }, { 'a.json': JSON.stringify(typo) }).problems).toEqual([
      'ZEGO_APPS_FILE at .apps[0]: Unrecognized key: "serverSecert"',
    ])
    expect(read({ ZEGO_APPS_FILE: 'a.json' }, { 'a.json': '[]' }).problems).toEqual([
      'ZEGO_APPS_FILE (a.json) is a list: wrap it as { "apps": [ … ] }',
    ])
    expect(read({ INGEST_APPS_FILE: 'a.json' }).problems).toEqual([
      'INGEST_APPS_FILE was renamed ZEGO_APPS_FILE: rename it (no value is read from INGEST_APPS_FILE)',
    ])
  })
})
