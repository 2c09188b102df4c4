import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'

// 10 simulated seconds per real second: ZEGO's 90 s idle rule takes 9 s, a 10 s grace 1 s.
const SCALE = 10
const GRACE_MS = 10_000
const RECONNECT_GRACE_MS = 20_000
const ENFORCED = 4101
const DRY_RUN = 4102

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: SCALE,
    apps: [
      { appId: ENFORCED, policy: { graceMs: { normal: GRACE_MS, reconnectable: RECONNECT_GRACE_MS } } },
      // The same scenario with nothing stopped: the dry-run app shows what ZEGO alone would bill.
      { appId: DRY_RUN, policy: { dryRun: true, graceMs: { normal: GRACE_MS } } },
    ],
  })
})
afterAll(() => pipeline?.close())

async function mixOneStream(appId: number, taskId: string) {
  pipeline.sim.actions.publish({
    appId,
    roomId: `room-${taskId}`,
    streamId: `in-${taskId}`,
    userId: `host-${taskId}`,
  })
  const started = await pipeline.customer(appId).startMix({
    TaskId: taskId,
    UserId: `mixer-${taskId}`,
    RoomId: `room-${taskId}`,
    MixInput: [{ StreamId: `in-${taskId}` }],
    MixOutput: [{ StreamId: `out-${taskId}` }],
  })
  expect(started.ok).toBe(true)
}

test('an orphaned mix is stopped within its grace; ZEGO alone would have billed MaxIdleTime', async () => {
  await mixOneStream(ENFORCED, 'orphan-1')
  await mixOneStream(DRY_RUN, 'orphan-1')
  const enforcedEnd = pipeline.taskEnded(ENFORCED, 'orphan-1')
  const dryRunEnd = pipeline.taskEnded(DRY_RUN, 'orphan-1')

  pipeline.sim.actions.unpublish({ appId: ENFORCED, streamId: 'in-orphan-1' })
  pipeline.sim.actions.unpublish({ appId: DRY_RUN, streamId: 'in-orphan-1' })

  const enforced = await enforcedEnd
  expect(enforced.reason).toBe('stopped')
  const stops = pipeline.sim.ledger.stopCalls(ENFORCED).filter((c) => c.taskId === 'orphan-1')
  expect(stops.map((c) => c.code)).toEqual([0])

  const dryRun = await dryRunEnd
  expect(dryRun.reason).toBe('idle')
  expect(pipeline.sim.ledger.stopCalls(DRY_RUN)).toEqual([])

  const now = pipeline.sim.clock.now()
  const enforcedIdle = pipeline.sim.ledger.task(ENFORCED, 'orphan-1', now)?.idleSec ?? Number.NaN
  const dryRunIdle = pipeline.sim.ledger.task(DRY_RUN, 'orphan-1', now)?.idleSec ?? Number.NaN
  console.warn(
    `orphan idle mix-seconds: ${enforcedIdle.toFixed(1)} with Mixguard (grace ${GRACE_MS / 1000} s) vs ${dryRunIdle.toFixed(1)} without`,
  )
  // Grace plus a small latency: at most 2 s of real time (20 simulated seconds).
  expect(enforcedIdle).toBeGreaterThanOrEqual(GRACE_MS / 1000)
  expect(enforcedIdle).toBeLessThan(GRACE_MS / 1000 + 20)
  expect(dryRunIdle).toBeGreaterThanOrEqual(90)

  // The decision says why, and a would_stop was logged for the dry-run app.
  await pipeline.decisions.until('both decisions', (records) => records.length >= 2)
  const decisions = pipeline.decisions.records.map((r) => JSON.parse(r.value.toString()))
  expect(decisions).toContainEqual(
    expect.objectContaining({ appId: ENFORCED, taskId: 'orphan-1', action: 'stop', reason: 'orphaned' }),
  )
  expect(decisions).toContainEqual(
    expect.objectContaining({ appId: DRY_RUN, taskId: 'orphan-1', action: 'would_stop', reason: 'orphaned' }),
  )
})

test('a publisher that reconnects inside the grace keeps its mix', async () => {
  await mixOneStream(ENFORCED, 'reconnect-1')
  // A sentinel that loses its publisher the same way (TCP disconnect) and never comes back: once it is
  // stopped, the reconnectable grace has passed for both, so the other one's fate is known.
  await mixOneStream(ENFORCED, 'sentinel-1')
  const sentinelEnd = pipeline.taskEnded(ENFORCED, 'sentinel-1')

  pipeline.sim.actions.unpublish({ appId: ENFORCED, streamId: 'in-sentinel-1', type: 4 })
  // The SDK drops (close type 4) and comes back inside ZEGO's reconnect window (recreate=1).
  pipeline.sim.actions.reconnect({ appId: ENFORCED, streamId: 'in-reconnect-1' })

  expect((await sentinelEnd).reason).toBe('stopped')
  expect(pipeline.sim.world.runningTask(ENFORCED, 'reconnect-1')).toBeDefined()
  expect(pipeline.sim.ledger.stopCalls(ENFORCED).filter((c) => c.taskId === 'reconnect-1')).toEqual([])
})
