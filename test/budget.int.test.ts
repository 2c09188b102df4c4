import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'

// Real time (scale 1): ZEGO's limit and our budget are per real second.
const APP = 4601
const ORPHANS = 2_000
const BUDGET = 80

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: 1,
    callsPerSecond: BUDGET,
    // The subject is the StopMix budget: confirming each orphan first (one stream-list call per room,
    // ZEGO allows 50/s) and the room sweep are switched off here; test/chaos.int.test.ts covers
    // confirmation, test/sweep.int.test.ts the sweep.
    apps: [
      {
        appId: APP,
        policy: {
          graceMs: { normal: 1_000 },
          confirmOrphansWithStreamList: false,
          roomSweep: { enabled: false },
        },
      },
    ],
  })
})
afterAll(() => pipeline?.close())

/** Most calls in any window [t, t + width) over the given times. */
function busiestWindow(times: number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  for (let start = 0, end = 0; end < sorted.length; end++) {
    while ((sorted[end] as number) - (sorted[start] as number) >= width) start++
    best = Math.max(best, end - start + 1)
  }
  return best
}

test(`${ORPHANS} orphans at once are all stopped, never faster than the budget, with no overload answer`, async () => {
  const customer = pipeline.customer(APP)
  const tasks = Array.from({ length: ORPHANS }, (_, i) => `bulk-${i}`)
  // Set up in slices, as a real app would over time (the customer's client paces itself at 80/s).
  for (let i = 0; i < tasks.length; i += 40) {
    const slice = tasks.slice(i, i + 40)
    for (const task of slice) {
      pipeline.sim.actions.publish({
        appId: APP,
        roomId: `room-${task}`,
        streamId: `in-${task}`,
        userId: task,
      })
    }
    const answers = await Promise.all(
      slice.map((task) =>
        customer.startMix({
          TaskId: task,
          UserId: `mixer-${task}`,
          RoomId: `room-${task}`,
          MixInput: [{ StreamId: `in-${task}` }],
          MixOutput: [{ StreamId: `out-${task}` }],
          // ZEGO would end these by itself after 90 s idle; keep them until Mixguard does.
          MaxIdleTime: 3_600,
        }),
      ),
    )
    expect(answers.filter((a) => !a.ok)).toEqual([])
  }

  const ends = tasks.map((task) => pipeline.taskEnded(APP, task))
  const began = Date.now()
  for (const task of tasks) pipeline.sim.actions.unpublish({ appId: APP, streamId: `in-${task}` })
  const ended = await Promise.all(ends)
  const seconds = (Date.now() - began) / 1000

  expect(ended.every((e) => e.reason === 'stopped')).toBe(true)
  const stops = pipeline.sim.ledger.stopCalls(APP)
  expect(stops.filter((s) => s.code !== 0)).toEqual([])
  expect(pipeline.sim.ledger.overloads()).toEqual({})
  expect(
    busiestWindow(
      stops.map((s) => s.receivedAt),
      1000,
    ),
  ).toBeLessThanOrEqual(BUDGET)
  console.warn(
    `budget: ${ORPHANS} orphans stopped in ${seconds.toFixed(1)} s (${(ORPHANS / seconds).toFixed(1)}/s, budget ${BUDGET}/s), busiest second ${busiestWindow(
      stops.map((s) => s.receivedAt),
      1000,
    )} calls`,
  )
}, 180_000)
