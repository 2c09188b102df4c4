// Time-to-stop beyond the grace: from the moment an orphan's grace ends (ZEGO's close time + grace)
// to ZEGO receiving our StopMix, through the whole pipeline (zego-sim → ingest → Kafka → reconciler →
// confirmation → StopMix), on the real clock, below the budget rate, while `load` other events/s
// (noise.ts) flow through the same pipeline.
// Run: pnpm bench:time-to-stop [orphans=200] [perSecond=20] [graceMs=5000] [load=1000]. Graces under
// the core's 3 s stop floor (STOP_FLOOR_MS: a late close and a late reconnect must get a moment to
// meet) measure the floor.

import { runAlone } from './kafka.ts'
import { prepareNoise } from './noise.ts'
import { withOneAppPipeline } from './one-app-pipeline.ts'
import { percentile, type Row, row } from './row.ts'

export interface TimeToStopOptions {
  orphans: number
  perSecond: number
  graceMs: number
  load: number
}

const APP = 7001
/** A stop later than this after the last grace counts as never: the row says how many stopped. */
const GIVE_UP_MS = 120_000

export async function benchTimeToStop(
  brokers: string[],
  options: TimeToStopOptions,
  progress: (message: string) => void,
): Promise<Row> {
  const { orphans, perSecond, graceMs, load } = options
  let result: Row | undefined
  await withOneAppPipeline(
    brokers,
    {
      appId: APP,
      name: 'tts',
      policy: (policy) => ({ ...policy, graceMs: { ...policy.graceMs, normal: graceMs } }),
    },
    async ({ sim, mixRooms, ingestUrl, callbackSecret }) => {
      const tasks = Array.from({ length: orphans }, (_, i) => `tts-${i}`)
      progress(`time-to-stop: starting ${orphans} tasks`)
      await mixRooms(tasks)
      const ended = tasks.map(
        (task) =>
          new Promise<void>((resolve) => {
            const off = sim.world.subscribe((e) => {
              if (e.type === 'task_ended' && e.task.taskId === task) {
                off()
                resolve()
              }
            })
          }),
      )
      // The load runs from before the first close until well after the last grace.
      const sendNoise = await prepareNoise({
        ingestUrl,
        appId: APP,
        callbackSecret,
        perSecond: load,
        seconds: orphans / perSecond + graceMs / 1000 + 10,
      })
      progress(`time-to-stop: closing their inputs at ${perSecond}/s with ${load} other callbacks/s`)
      // A failed load run shows as 0 answered in the row rather than ending the bench.
      const noise = load > 0 ? sendNoise().catch(() => null) : null
      const closedAt = new Map<string, number>()
      const began = Date.now()
      for (const [i, task] of tasks.entries()) {
        // Paced below the budget, so the figure is the pipeline's latency and not a queue's.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, began + (i * 1000) / perSecond - Date.now())),
        )
        closedAt.set(task, sim.clock.now())
        sim.actions.unpublish({ appId: APP, streamId: `in-${task}` })
      }
      let timer: NodeJS.Timeout | undefined
      await Promise.race([
        Promise.all(ended),
        new Promise((resolve) => {
          timer = setTimeout(resolve, (orphans / perSecond) * 1000 + graceMs + GIVE_UP_MS)
        }),
      ])
      clearTimeout(timer)
      const loadResult = await noise
      const stops = new Map(sim.ledger.stopCalls(APP).map((c) => [c.taskId, c.simAt]))
      const beyond = tasks
        // A task never stopped counts as infinitely late: it sorts last and shows as ∞.
        .map((t) => (stops.get(t) ?? Number.POSITIVE_INFINITY) - ((closedAt.get(t) ?? 0) + graceMs))
        .sort((a, b) => a - b)
      result = row(
        'time-to-stop',
        `time-to-stop beyond grace, ${orphans} orphans at ${perSecond}/s under load`,
        {
          p50Ms: percentile(beyond, 50),
          p99Ms: percentile(beyond, 99),
          extra: {
            stopped: `${stops.size}/${orphans}`,
            'max ms': Math.round(beyond.at(-1) ?? Number.NaN),
            'grace ms': graceMs,
            'other callbacks/s answered': Math.round(
              loadResult ? loadResult.answered / loadResult.seconds : 0,
            ),
            'their p99 ms': Math.round(loadResult?.p99Ms ?? 0),
            'overload answers': Object.values(sim.ledger.overloads()).reduce((n, x) => n + x, 0),
          },
        },
      )
    },
  )
  if (result === undefined) throw new Error('time-to-stop produced no result')
  return result
}

if (import.meta.main) {
  const [orphans = '200', perSecond = '20', graceMs = '5000', load = '1000'] = process.argv.slice(2)
  const options = {
    orphans: Number(orphans),
    perSecond: Number(perSecond),
    graceMs: Number(graceMs),
    load: Number(load),
  }
  await runAlone((brokers, progress) => benchTimeToStop(brokers, options, progress))
}
