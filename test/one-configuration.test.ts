import { loadConfig as loadIngestConfig } from '@mixguard/ingest'
import { loadConfig as loadReconcilerConfig } from '@mixguard/reconciler'
import { expect, test } from 'vitest'

// Both services read one environment and one apps file (compose and the kustomize base give them the
// same ConfigMap and Secret): each must take from them what it needs, and agree on what they share.
const env = { KAFKA_BROKERS: 'k:9092', ZEGO_APPS_FILE: '/run/secrets/apps.json' }
const appsFile = JSON.stringify({
  defaults: { graceMs: { normal: 5_000 } },
  apps: [
    { appId: 1, callbackSecrets: ['cb-1'], serverSecret: 'srv-1', policy: { dryRun: true } },
    { appId: 2, callbackSecrets: ['cb-2a', 'cb-2b'], serverSecret: 'srv-2' },
  ],
})
const readFile = (path: string) => {
  if (path !== env.ZEGO_APPS_FILE) throw new Error(`ENOENT: ${path}`)
  return appsFile
}

test('ingest and the reconciler read the same apps file and agree on the ZEGO API', () => {
  const ingest = loadIngestConfig(env, { readFile })
  const reconciler = loadReconcilerConfig(env, readFile)
  if (!ingest.ok) throw new Error(ingest.message)
  if (!reconciler.ok) throw new Error(reconciler.message)
  expect(ingest.config.apps.ids()).toEqual([1, 2])
  expect(ingest.config.apps.get(2)?.callbackSecrets.map((s) => s.reveal())).toEqual(['cb-2a', 'cb-2b'])
  expect(reconciler.config.apps.map((a) => [a.appId, a.serverSecret?.reveal()])).toEqual([
    [1, 'srv-1'],
    [2, 'srv-2'],
  ])
  expect(reconciler.config.policyFor(1)).toMatchObject({ dryRun: true, graceMs: { normal: 5_000 } })
  expect(reconciler.warnings).toEqual([])
  expect(ingest.config.zegoApi).toEqual({
    baseUrl: reconciler.config.zego.baseUrl,
    timeoutMs: reconciler.config.zego.timeoutMs,
  })
})
