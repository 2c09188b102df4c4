import type { Decision, Outcome } from '@mixguard/contracts'
import { packageVersion, registerStandardMetrics } from '@mixguard/service-kit'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { ROOM_SWEEP_RULE } from './core/index.ts'

/** An orphan stop whose inputs' end only a stream list showed: the room sweep found a lost close. */
const foundByList = (decision: Decision): boolean =>
  (decision.action === 'stop' || decision.action === 'would_stop') &&
  decision.reason === 'orphaned' &&
  (decision.rule ?? '').startsWith('grace:observed_absent')

/** The reconciler's Prometheus metrics, on a registry of its own (no globals: tests run several instances). */
export function createMetrics() {
  const registry = new Registry()
  registerStandardMetrics(registry, 'reconciler', packageVersion(import.meta.url))
  const decisions = new Counter({
    name: 'mixguard_reconciler_decisions_total',
    help: 'Decisions made, by action and reason',
    labelNames: ['action', 'reason'] as const,
    registers: [registry],
  })
  const outcomes = new Counter({
    name: 'mixguard_reconciler_outcomes_total',
    help: 'Results of ZEGO calls made for decisions, by action, result and ZEGO code',
    labelNames: ['action', 'result', 'code'] as const,
    registers: [registry],
  })
  const timeToStop = new Histogram({
    name: 'mixguard_reconciler_time_to_stop_seconds',
    help: 'From the moment a task became stoppable (its deadline, or the decision for supersession) to a confirmed StopMix',
    labelNames: ['reason'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 120],
    registers: [registry],
  })
  const events = new Counter({
    name: 'mixguard_reconciler_events_applied_total',
    help: 'Events applied to app state',
    registers: [registry],
  })
  const deadLetters = new Counter({
    name: 'mixguard_reconciler_dead_letters_total',
    help: 'Event records that could not be decoded and went to the dead-letter topic',
    registers: [registry],
  })
  const lag = new Gauge({
    name: 'mixguard_reconciler_consumer_lag_records',
    help: 'Records between the last applied batch and the partition end, by partition',
    labelNames: ['partition'] as const,
    registers: [registry],
  })
  const deadlinesArmed = new Gauge({
    name: 'mixguard_reconciler_deadlines_armed',
    help: 'Apps with a deadline timer armed',
    registers: [registry],
  })
  const deadlinesOverdue = new Gauge({
    name: 'mixguard_reconciler_deadlines_overdue',
    help: 'Armed deadlines already in the past (should be ~0: a growing number means the reconciler falls behind)',
    registers: [registry],
  })
  const budgetWaiting = new Gauge({
    name: 'mixguard_reconciler_budget_waiting_calls',
    help: 'ZEGO calls waiting for the per-AppId budget',
    registers: [registry],
  })
  const inFlight = new Gauge({
    name: 'mixguard_reconciler_executions_in_flight',
    help: 'Decisions being carried out',
    registers: [registry],
  })
  const roomsSwept = new Counter({
    name: 'mixguard_reconciler_rooms_swept_total',
    help: 'Rooms the room sweep listed (answered stream lists); its rate is rooms swept per second',
    labelNames: ['app'] as const,
    registers: [registry],
  })
  const sweepCycle = new Gauge({
    name: 'mixguard_reconciler_room_sweep_cycle_seconds',
    help: 'Sweep cycle time: how old our news of a room was when the sweep listed it (the sweep takes the oldest first)',
    labelNames: ['app'] as const,
    registers: [registry],
  })
  const sweepOrphans = new Counter({
    name: 'mixguard_reconciler_orphans_found_by_sweep_total',
    help: 'Orphan stops (or dry-run reports) whose inputs were seen gone only in a stream list: their last callback was lost',
    labelNames: ['app'] as const,
    registers: [registry],
  })
  const restoreSeconds = new Histogram({
    name: 'mixguard_reconciler_restore_seconds',
    help: 'Time to restore assigned partitions from the changelog',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  })

  const saveSeconds = new Histogram({
    name: 'mixguard_reconciler_state_save_seconds',
    help: 'Time a coalesced save of the changed apps took (encode, compression, changelog round trip); the next waits at least ten times as long',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  })

  return {
    registry,
    decided(decision: Decision) {
      decisions.inc({ action: decision.action, reason: decision.reason })
      const app = String(decision.appId)
      if (decision.rule === ROOM_SWEEP_RULE && decision.evidence.deadline !== null)
        sweepCycle.set({ app }, Math.max(0, decision.decidedAt - decision.evidence.deadline) / 1000)
      if (foundByList(decision)) sweepOrphans.inc({ app })
    },
    outcome(
      outcome: Outcome,
      decision: Pick<Decision, 'reason' | 'rule' | 'decidedAt' | 'evidence'> | undefined,
    ) {
      outcomes.inc({ action: outcome.action, result: outcome.result, code: String(outcome.zegoCode ?? '') })
      if (decision?.rule === ROOM_SWEEP_RULE && outcome.result === 'observed')
        roomsSwept.inc({ app: String(outcome.appId) })
      if (
        decision &&
        outcome.action === 'StopMix' &&
        (outcome.result === 'stopped' || outcome.result === 'already_gone')
      ) {
        const from = decision.evidence.deadline ?? decision.decidedAt
        timeToStop.observe({ reason: decision.reason }, Math.max(0, outcome.at - from) / 1000)
      }
    },
    eventsApplied: (n: number) => events.inc(n),
    deadLettered: () => deadLetters.inc(),
    lag: (partition: number, value: number) => lag.set({ partition: String(partition) }, value),
    restored: (ms: number) => restoreSeconds.observe(ms / 1000),
    saved: (ms: number) => saveSeconds.observe(ms / 1000),
    /** Gauges read from live objects at scrape time. */
    sample(read: { deadlines: { armed: number; overdue: number }; budgetWaiting: number; inFlight: number }) {
      deadlinesArmed.set(read.deadlines.armed)
      deadlinesOverdue.set(read.deadlines.overdue)
      budgetWaiting.set(read.budgetWaiting)
      inFlight.set(read.inFlight)
    },
  }
}

export type ReconcilerMetrics = ReturnType<typeof createMetrics>
