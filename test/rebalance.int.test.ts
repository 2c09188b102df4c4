import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'
import { waitFor } from './wait-for.ts'

// Enough apps that both members of the group own some (apps spread over 12 partitions by key).
const APPS = Array.from({ length: 10 }, (_, i) => 4501 + i)

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: 20,
    reconcilers: 2,
    apps: APPS.map((appId) => ({ appId, policy: { graceMs: { normal: 100_000 } } })),
  })
})
afterAll(() => pipeline?.close())

async function mix(appId: number, task: string) {
  pipeline.sim.actions.publish({ appId, roomId: `room-${task}`, streamId: `in-${task}`, userId: task })
  const started = await pipeline.customer(appId).startMix({
    TaskId: task,
    UserId: `mixer-${task}`,
    RoomId: `room-${task}`,
    MixInput: [{ StreamId: `in-${task}` }],
    MixOutput: [{ StreamId: `out-${task}` }],
    // Longer than the grace, so that ZEGO's own idle rule does not end the orphans first.
    MaxIdleTime: 600,
  })
  expect(started.ok).toBe(true)
}

test('two reconcilers in one group own disjoint partitions, and a rebalance keeps every guarantee', async () => {
  const [a, b] = pipeline.reconcilers as [(typeof pipeline.reconcilers)[0], (typeof pipeline.reconcilers)[0]]
  // The second member's join makes the group rebalance; wait until both hold their share.
  await waitFor('both members to own partitions', () => a.assigned().length > 0 && b.assigned().length > 0)
  const owned = [...a.assigned(), ...b.assigned()].sort((x, y) => x - y)
  expect(owned).toEqual(Array.from({ length: 12 }, (_, i) => i))
  expect(a.assigned().length).toBeGreaterThan(0)
  expect(b.assigned().length).toBeGreaterThan(0)

  // Round 1: one orphan and one live task per app; each app is handled by exactly one instance.
  const round1 = APPS.map((appId) => pipeline.taskEnded(appId, 'orphan-1'))
  for (const appId of APPS) {
    await mix(appId, 'orphan-1')
    await mix(appId, 'live-1')
    pipeline.sim.actions.unpublish({ appId, streamId: 'in-orphan-1' })
  }
  expect((await Promise.all(round1)).map((e) => e.reason)).toEqual(APPS.map(() => 'stopped'))
  for (const appId of APPS) {
    const holders = [a, b].filter((r) => [...r.shell.apps()].some((app) => app.appId === appId))
    expect(holders, `app ${appId}`).toHaveLength(1)
    expect(pipeline.sim.ledger.stopCalls(appId).map((c) => c.taskId)).toEqual(['orphan-1'])
  }

  // Round 2: orphans with their deadlines pending while instance b leaves; a takes over b's apps.
  const round2 = APPS.map((appId) => pipeline.taskEnded(appId, 'orphan-2'))
  for (const appId of APPS) {
    await mix(appId, 'orphan-2')
    pipeline.sim.actions.unpublish({ appId, streamId: 'in-orphan-2' })
  }
  // b leaves long before the 100 s (simulated) grace ends: a must restore b's apps and fire their deadlines.
  await b.close()
  await waitFor('a to own every partition', () => a.assigned().length === 12)
  expect(pipeline.sim.ledger.stopCalls().filter((c) => c.taskId === 'orphan-2')).toEqual([])
  expect((await Promise.all(round2)).map((e) => e.reason)).toEqual(APPS.map(() => 'stopped'))
  for (const appId of APPS) {
    expect(pipeline.sim.world.runningTask(appId, 'live-1'), `app ${appId}`).toBeDefined()
    // At least once: a stop may be repeated across the hand-over, never a live task stopped.
    expect(new Set(pipeline.sim.ledger.stopCalls(appId).map((c) => c.taskId))).toEqual(
      new Set(['orphan-1', 'orphan-2']),
    )
  }
})
