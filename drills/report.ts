/**
 * What a drill reports: one row per measure, and a verdict where the issue names a bound. A `must`
 * bound (0 lost, 0 wrongful, no 5xx, no secret) fails the run; an aim (a latency) is reported as
 * `aim missed`, since on a shared 2-core machine it measures the machine as much as the code.
 */
export type Verdict = 'pass' | 'fail' | 'aim missed' | 'info'

export interface Row {
  drill: string
  measure: string
  value: number | string
  verdict: Verdict
}

export interface DrillReport {
  drill: string
  short: boolean
  startedAt: string
  seconds: number
  rows: Row[]
  /** Set when the drill itself broke (set-up failed, a deadline passed) instead of measuring. */
  error?: string
}

/** Builds a drill's rows: `check` for a measure with a bound, `note` for one without. */
export function rows(drill: string) {
  const list: Row[] = []
  return {
    list,
    check(measure: string, value: number | string, holds: boolean): void {
      list.push({ drill, measure, value, verdict: holds ? 'pass' : 'fail' })
    },
    /** A must-hold yes/no. */
    yes(measure: string, holds: boolean): void {
      list.push({ drill, measure, value: holds ? 'yes' : 'no', verdict: holds ? 'pass' : 'fail' })
    },
    aim(measure: string, value: number | string, holds: boolean): void {
      list.push({ drill, measure, value, verdict: holds ? 'pass' : 'aim missed' })
    },
    note(measure: string, value: number | string): void {
      list.push({ drill, measure, value, verdict: 'info' })
    },
  }
}

/** The row of `measure` in a report (tests assert on these). */
export function row(report: DrillReport, measure: string): Row {
  const found = report.rows.find((r) => r.measure === measure)
  if (found === undefined)
    throw new Error(`${report.drill} has no measure "${measure}"${report.error ? ` (${report.error})` : ''}`)
  return found
}

/** The plain-text table `pnpm drill` prints. */
export function formatTable(reports: DrillReport[]): string {
  const all: Row[] = reports.flatMap((r) =>
    r.error === undefined
      ? r.rows
      : [...r.rows, { drill: r.drill, measure: 'drill error', value: r.error, verdict: 'fail' as const }],
  )
  const cells = all.map((r) => [r.drill, r.measure, String(r.value), r.verdict])
  const head = ['drill', 'measure', 'value', 'verdict']
  const widths = head.map((h, i) =>
    Math.min(70, Math.max(h.length, ...cells.map((c) => (c[i] ?? '').length))),
  )
  const line = (c: string[]) =>
    `| ${c.map((v, i) => v.slice(0, widths[i]).padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map(line)].join('\n')
}

/** Quantile of a list of numbers (nearest rank); NaN for an empty list. */
export function quantile(values: number[], q: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? Number.NaN
}
