// Time-to-stop beyond the grace: from the moment an orphan's grace ends (ZEGO's close time + grace)
// to ZEGO receiving our StopMix, through the whole pipeline (zego-sim → ingest → Kafka → reconciler →
// confirmation → StopMix), on the real clock, below the budget rate.
// Run: pnpm bench:time-to-stop [orphans] [perSecond] [graceMs]. Graces under the core's 3 s stop floor
// (STOP_FLOOR_MS: a late close and a late reconnect must get a moment to meet) measure the floor.
import { withOneAppPipeline } from './one-app-pipeline.ts'

const orphans = Number(process.argv[2] ?? 200)
const perSecond = Number(process.argv[3] ?? 20)
const APP = 7001
const GRACE_MS = Number(process.argv[4] ?? 5_000)

await withOneAppPipeline(
  {
    appId: APP,
    name: 'tts',
    policy: (policy) => ({ ...policy, graceMs: { ...policy.graceMs, normal: GRACE_MS } }),
  },
  async ({ sim, mixRooms }) => {
    const tasks = Array.from({ length: orphans }, (_, i) => `tts-${i}`)
    await mixRooms(tasks)
    const closedAt = new Map<string, number>()
    const ended = new Map<string, Promise<void>>()
    for (const task of tasks) {
      ended.set(
        task,
        new Promise((resolve) => {
          const off = sim.world.subscribe((e) => {
            if (e.type === 'task_ended' && e.task.taskId === task) {
              off()
              resolve()
            }
          })
        }),
      )
    }
    const began = Date.now()
    for (const [i, task] of tasks.entries()) {
      // Paced below the budget, so the figure is the pipeline's latency and not a queue's.
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, began + (i * 1000) / perSecond - Date.now())),
      )
      closedAt.set(task, sim.clock.now())
      sim.actions.unpublish({ appId: APP, streamId: `in-${task}` })
    }
    await Promise.all(ended.values())
    const stops = new Map(sim.ledger.stopCalls(APP).map((c) => [c.taskId, c.simAt]))
    const beyond = tasks
      .map((t) => (stops.get(t) ?? Number.NaN) - ((closedAt.get(t) ?? 0) + GRACE_MS))
      .sort((a, b) => a - b)
    const q = (p: number) => beyond[Math.min(beyond.length - 1, Math.floor(p * beyond.length))] ?? Number.NaN
    console.log(
      `time-to-stop beyond a ${GRACE_MS} ms grace, ${orphans} orphans closed at ${perSecond}/s, stream-list confirmation on`,
    )
    console.log(
      `  p50 ${Math.round(q(0.5))} ms   p99 ${Math.round(q(0.99))} ms   max ${Math.round(beyond.at(-1) ?? Number.NaN)} ms`,
    )
  },
)
