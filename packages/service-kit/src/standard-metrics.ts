import { readFileSync } from 'node:fs'
import { collectDefaultMetrics, Gauge, type Registry } from 'prom-client'

/**
 * What every Mixguard service exposes besides its own metrics: the default process metrics
 * (`mixguard_process_*`, `mixguard_nodejs_*`: CPU, memory, file descriptors, event-loop lag, GC) and
 * `mixguard_build_info{service,version,node}` = 1, so dashboards can join on a version.
 */
export function registerStandardMetrics(
  registry: Registry,
  service: 'ingest' | 'reconciler',
  version: string,
): void {
  collectDefaultMetrics({ register: registry, prefix: 'mixguard_' })
  new Gauge({
    name: 'mixguard_build_info',
    help: 'Always 1; the labels say which service, version and Node.js run',
    labelNames: ['service', 'version', 'node'] as const,
    registers: [registry],
  }).set({ service, version, node: process.versions.node }, 1)
}

/** The `version` of the package.json beside a service's src/ folder (pass the caller's import.meta.url). */
export function packageVersion(moduleUrl: string): string {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', moduleUrl), 'utf8')) as { version?: unknown }
  return typeof pkg.version === 'string' ? pkg.version : 'unknown'
}
