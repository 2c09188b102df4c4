import { execFile } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { createIngestMetrics } from '@mixguard/ingest'
import { createReconcilerMetrics } from '@mixguard/reconciler'
import { describe, expect, it } from 'vitest'

const deploy = (path: string) => fileURLToPath(new URL(`../deploy/${path}`, import.meta.url))
const run = promisify(execFile)

/** Every metric name the services export (histograms also as _bucket, _sum, _count). */
async function exported(): Promise<Set<string>> {
  const ingest = createIngestMetrics({
    publisher: () => ({ kafkaUp: true, spool: { records: 0, bytes: 0, maxBytes: 1 } }) as never,
    nonceStore: () => ({ up: true, entries: 0, evictions: 0 }),
    inFlight: () => 0,
  })
  const names = new Set<string>()
  for (const registry of [ingest.registry, createReconcilerMetrics().registry])
    for (const metric of await registry.getMetricsAsJSON()) {
      names.add(metric.name)
      if (String(metric.type) === 'histogram')
        for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${metric.name}${suffix}`)
    }
  return names
}

describe('alerts and dashboard', () => {
  // promtool comes from Debian's prometheus package (scripts/bootstrap.sh installs it); never skipped.
  it('the alert rules are valid and pass their promtool unit tests', async () => {
    await run('promtool', ['check', 'rules', deploy('prometheus/alerts.yml')], { timeout: 30_000 })
    const { stdout } = await run('promtool', ['test', 'rules', deploy('prometheus/alerts.test.yml')], {
      timeout: 30_000,
    })
    expect(stdout).toContain('SUCCESS')
  })

  it('use only metrics the services export, all under the one mixguard_ prefix', async () => {
    const names = await exported()
    expect([...names].filter((n) => !n.startsWith('mixguard_'))).toEqual([])
    expect(names).toContain('mixguard_build_info')
    expect(names).toContain('mixguard_process_cpu_seconds_total')
    for (const file of ['prometheus/alerts.yml', 'grafana/mixguard.json']) {
      const used = new Set((await readFile(deploy(file), 'utf8')).match(/mixguard_[a-z_]+/g))
      expect(
        [...used].filter((n) => !names.has(n)),
        file,
      ).toEqual([])
    }
  })

  it('counters end in _total and durations are in seconds', async () => {
    const ingest = createIngestMetrics({
      publisher: () => ({ kafkaUp: true, spool: { records: 0, bytes: 0, maxBytes: 1 } }) as never,
      nonceStore: () => ({ up: true, entries: 0, evictions: 0 }),
      inFlight: () => 0,
    })
    for (const registry of [ingest.registry, createReconcilerMetrics().registry])
      for (const metric of await registry.getMetricsAsJSON()) {
        if (String(metric.type) === 'counter') expect(metric.name).toMatch(/_total$/)
        expect(metric.name).not.toMatch(/_(ms|milliseconds|minutes)(_|$)/)
      }
  })
})
