// One line of the benchmark table: what was measured, its throughput, its latency, and whatever else
// that subject needs to be read (bytes per task, overload answers…). Every bench returns rows; the
// standalone commands and `pnpm bench` print them with the same table.
import { mkdir, writeFile } from 'node:fs/promises'
import { dirname } from 'node:path'

export interface Row {
  /** The bench it came from (`http`, `core`, `restore`…). */
  bench: string
  subject: string
  /** How much per second, with its unit ("callbacks/s", "events/s"); null when throughput is not the point. */
  throughput: number | null
  unit: string
  p50Ms: number | null
  p99Ms: number | null
  /** Further figures, by name ("overload answers", "bytes per task"…). */
  extra: Record<string, string | number>
}

export function row(bench: string, subject: string, fields: Partial<Omit<Row, 'bench' | 'subject'>>): Row {
  return { bench, subject, throughput: null, unit: '', p50Ms: null, p99Ms: null, extra: {}, ...fields }
}

/** The p-th percentile (nearest rank) of ascending `sorted`; NaN when empty. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number
}

const num = (n: number | null, digits: number): string =>
  n === null || Number.isNaN(n)
    ? '–'
    : n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })

const cell = (v: string | number): string => (typeof v === 'number' ? num(v, Number.isInteger(v) ? 0 : 1) : v)

/** A Markdown table: subject, throughput, p50, p99, then the extras as `name: value` pairs. */
export function formatTable(rows: readonly Row[]): string {
  const lines = ['| subject | throughput | p50 ms | p99 ms | more |', '| --- | ---: | ---: | ---: | --- |']
  for (const r of rows) {
    const throughput = r.throughput === null ? '–' : `${num(r.throughput, 0)} ${r.unit}`
    const more = Object.entries(r.extra)
      .map(([k, v]) => `${k}: ${cell(v)}`)
      .join('; ')
    lines.push(`| ${r.subject} | ${throughput} | ${num(r.p50Ms, 1)} | ${num(r.p99Ms, 1)} | ${more} |`)
  }
  return lines.join('\n')
}

export interface RunInfo {
  command: string
  startedAt: string
  seconds: number
  node: string
  cpus: number
  /** 1, 5 and 15-minute load averages when the run began and when it ended. */
  load: { before: number[]; after: number[] }
  kafka: string
}

export async function writeResults(path: string, info: RunInfo, rows: readonly Row[]): Promise<void> {
  await mkdir(dirname(path), { recursive: true })
  await writeFile(path, `${JSON.stringify({ ...info, rows }, null, 2)}\n`)
}
