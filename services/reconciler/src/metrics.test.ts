import type { Decision, Outcome } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { ROOM_SWEEP_RULE } from './core/index.ts'
import { createMetrics } from './metrics.ts'

const sweep: Decision = {
  v: 1,
  id: 'd-sweep',
  appId: 7,
  taskId: 't',
  action: 'verify',
  reason: 'silent',
  rule: ROOM_SWEEP_RULE,
  evidence: { eventIds: ['room:r1'], deadline: 10_000, supersededBy: null, note: 'r1' },
  decidedAt: 52_500,
}

const observed: Outcome = {
  v: 1,
  decisionId: 'd-sweep',
  appId: 7,
  taskId: 't',
  action: 'DescribeSimpleStreamList',
  result: 'observed',
  zegoCode: null,
  errorCode: null,
  attempt: 1,
  at: 53_000,
}

/** A metric's value: app 7's, or the sample `sample` names (a histogram's `_count`, `_sum`). */
const value = async (metrics: ReturnType<typeof createMetrics>, name: string, sample?: string) =>
  (await metrics.registry.getSingleMetric(name)?.get())?.values.find((v) =>
    sample === undefined ? v.labels.app === '7' : (v as { metricName?: string }).metricName === sample,
  )?.value

describe('reconciler metrics: the room sweep', () => {
  it('counts rooms swept, sets the cycle time from the age of the news a sweep refreshes, counts orphans it found', async () => {
    const metrics = createMetrics()
    metrics.decided(sweep)
    metrics.outcome(observed, sweep)
    metrics.outcome({ ...observed, result: 'gave_up' }, sweep)
    metrics.decided({
      ...sweep,
      id: 'd-stop',
      action: 'stop',
      reason: 'orphaned',
      rule: 'grace:observed_absent',
    })
    // An orphan its close callback announced is not the sweep's finding.
    metrics.decided({
      ...sweep,
      id: 'd-stop-2',
      action: 'stop',
      reason: 'orphaned',
      rule: 'grace:normal_close',
    })
    expect(await value(metrics, 'mixguard_reconciler_rooms_swept_total')).toBe(1)
    expect(await value(metrics, 'mixguard_reconciler_room_sweep_cycle_seconds')).toBe(42.5)
    expect(await value(metrics, 'mixguard_reconciler_orphans_found_by_sweep_total')).toBe(1)
  })
})

describe('reconciler metrics: state saves', () => {
  it('observes each coalesced save’s time in seconds', async () => {
    const metrics = createMetrics()
    metrics.saved(250)
    metrics.saved(40)
    const name = 'mixguard_reconciler_state_save_seconds'
    expect(await value(metrics, name, `${name}_count`)).toBe(2)
    expect(await value(metrics, name, `${name}_sum`)).toBeCloseTo(0.29)
  })
})
