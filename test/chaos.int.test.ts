import { seededRandom } from '@mixguard/zego-sim'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'

const APP = 4301
const ROOMS = 24

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: 10,
    seed: 7,
    // Callbacks twice, late and out of order, or never (10 %): what ZEGO's delivery allows.
    chaos: { duplicateFraction: 0.2, delayFraction: 0.3, delayMaxMs: 8_000, dropFraction: 0.1 },
    apps: [
      {
        appId: APP,
        policy: {
          graceMs: { normal: 10_000, reconnectable: 20_000, observedAbsent: 5_000 },
          // Lost callbacks are found by the sweeper: silent tasks get their room's stream list checked.
          silentTaskMs: 20_000,
        },
      },
    ],
  })
  // The per-room list interval is simulated time (ZEGO's 10 s by default): this test keeps the laxer
  // 2 s it has always run with (200 real ms at scale 10).
  pipeline.sim.switches.api.streamListRoomIntervalMs = 2_000
})
afterAll(() => pipeline?.close())

test('with duplicated, reordered and lost callbacks: no live mix is stopped and every orphan is', async () => {
  const random = seededRandom(11)
  type Room = { room: string; task: string; inputs: string[]; fate: 'orphan' | 'live' | 'blip' | 'partial' }
  const fates: Room['fate'][] = ['orphan', 'live', 'blip', 'partial']
  const rooms: Room[] = Array.from({ length: ROOMS }, (_, i) => ({
    room: `room-${i}`,
    task: `task-${i}`,
    inputs: [`host-${i}`, `guest-${i}`],
    fate: fates[i % fates.length] as Room['fate'],
  }))

  for (const r of rooms) {
    for (const input of r.inputs)
      pipeline.sim.actions.publish({ appId: APP, roomId: r.room, streamId: input, userId: input })
    const started = await pipeline.customer(APP).startMix({
      TaskId: r.task,
      UserId: `mixer-${r.task}`,
      RoomId: r.room,
      MixInput: r.inputs.map((StreamId) => ({ StreamId })),
      MixOutput: [{ StreamId: `out-${r.task}` }],
    })
    expect(started.ok).toBe(true)
  }

  const orphans = rooms.filter((r) => r.fate === 'orphan')
  const ends = orphans.map((r) => pipeline.taskEnded(APP, r.task))
  for (const r of rooms) {
    switch (r.fate) {
      case 'orphan':
        for (const input of r.inputs) {
          pipeline.sim.actions.unpublish({ appId: APP, streamId: input, type: random() < 0.5 ? 0 : 1 })
        }
        break
      case 'blip':
        for (const input of r.inputs) pipeline.sim.actions.reconnect({ appId: APP, streamId: input })
        break
      case 'partial':
        pipeline.sim.actions.unpublish({ appId: APP, streamId: r.inputs[0] as string })
        break
      case 'live':
        break
    }
  }

  const ended = await Promise.all(ends)
  // Every orphan was stopped by Mixguard (by a decision or through the sweeper), none by ZEGO's idle rule.
  expect(ended.map((e) => `${e.task.taskId}:${e.reason}`)).toEqual(orphans.map((r) => `${r.task}:stopped`))

  // No task with a live input was stopped: every running task is still running, and every instance
  // that ended had lost all its inputs before (ZEGO's world keeps `idleSince` for exactly that).
  for (const r of rooms.filter((x) => x.fate !== 'orphan')) {
    expect(pipeline.sim.world.runningTask(APP, r.task), `${r.task} (${r.fate})`).toBeDefined()
  }
  const wrongful = pipeline.sim.world
    .tasks(APP)
    .filter((t) => t.endReason === 'stopped' && t.idleSince === undefined)
    .map((t) => t.taskId)
  expect(wrongful).toEqual([])
  const delivered = pipeline.sim.callbacks.deliveries()
  console.warn(
    `chaos: ${delivered.length} callbacks, ${delivered.filter((d) => d.status === 'lost').length} lost; ${orphans.length} orphans stopped, 0 wrongful stops`,
  )
})
