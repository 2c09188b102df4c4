import { describe, expect, it } from 'vitest'
import { formatTable, quantile, rows } from './report.ts'

describe('report', () => {
  it('gives must bounds pass/fail, aims pass/aim missed, and notes info', () => {
    const r = rows('1 drill')
    r.check('lost', 0, true)
    r.check('wrongful', 2, false)
    r.aim('p99', 1200, false)
    r.note('sent', 10)
    expect(r.list.map((x) => x.verdict)).toEqual(['pass', 'fail', 'aim missed', 'info'])
  })

  it('prints one table row per measure, and a drill that broke as a failed row', () => {
    const r = rows('1 drill')
    r.check('lost', 0, true)
    const table = formatTable([
      { drill: 'a', short: true, startedAt: '', seconds: 1, rows: r.list },
      { drill: 'b', short: true, startedAt: '', seconds: 1, rows: [], error: 'broker did not start' },
    ])
    const lines = table.split('\n')
    expect(lines).toHaveLength(4)
    expect(lines[0]).toMatch(/^\| drill +\| measure +\| value +\| verdict +\|$/)
    expect(lines[2]).toMatch(/\| 1 drill \| lost +\| 0 +\| pass +\|/)
    expect(lines[3]).toMatch(/\| b +\| drill error \| broker did not start \| fail +\|/)
  })

  it('takes quantiles by nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => 100 - i)
    expect([quantile(values, 0.5), quantile(values, 0.99), quantile([], 0.5)]).toEqual([50, 99, Number.NaN])
  })
})
