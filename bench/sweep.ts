// The room sweep at scale: `rooms` rooms each holding a running task with a live input, through the whole
// pipeline (zego-sim → ingest → Kafka → reconciler → zego-sim) on the real clock, each component in a
// process of its own as in production (process-pipeline.ts), with the default policy (the sweep on
// with half of the 40/s stream-list budget). Measures, once every room has been listed: the stream
// lists per second ZEGO receives, the sweep's cycle time (the age of the oldest room's news, sampled
// every second, from the list answers the reconciler recorded on the outcomes topic), the CPU the
// three processes used, and ZEGO's (zego-sim's) rate-limit answers, which must be 0.
// Run: pnpm bench:sweep [rooms=1000] [seconds=120]

import type { History } from '@mixguard/ops'
import { runAlone } from './kafka.ts'
import { processCpuSeconds } from './process-cpu.ts'
import { overloadsBetween, withProcessPipeline } from './process-pipeline.ts'
import { percentile, type Row, row } from './row.ts'

const APP = 7101
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Every answered stream list as the reconciler recorded it: room and answer time, in time order. */
function roomLists(history: History): Array<{ roomId: string; at: number }> {
  const roomOf = new Map<string, string>()
  for (const d of history.decisions)
    if (d.command?.call === 'DescribeSimpleStreamList') roomOf.set(d.id, d.command.roomId)
  return history.outcomes.flatMap((o) => {
    const roomId = roomOf.get(o.decisionId)
    return o.result === 'observed' && roomId !== undefined ? [{ roomId, at: o.at }] : []
  })
}

/** At each of `times` (ascending), the age of the oldest news among the rooms listed by then. */
function oldestNewsAges(lists: ReadonlyArray<{ roomId: string; at: number }>, times: readonly number[]) {
  const last = new Map<string, number>()
  const ages: number[] = []
  let i = 0
  for (const t of times) {
    for (; i < lists.length && (lists[i]?.at as number) <= t; i++) {
      const list = lists[i] as { roomId: string; at: number }
      last.set(list.roomId, list.at)
    }
    if (last.size > 0) ages.push(t - Math.min(...last.values()))
  }
  return ages
}

/** CPU seconds used so far by each process, summed; null when one could not be read. */
async function cpuSeconds(pids: ReadonlyArray<number | undefined>): Promise<number | null> {
  const each = await Promise.all(pids.map(processCpuSeconds))
  return each.some((s) => s === null) ? null : each.reduce<number>((n, s) => n + (s as number), 0)
}

export async function benchSweep(
  brokers: string[],
  options: { rooms: number; seconds: number },
  progress: (message: string) => void,
): Promise<Row> {
  const { rooms, seconds } = options
  let result: Row | undefined
  await withProcessPipeline(brokers, { appId: APP, name: 'sweep' }, async (pipeline) => {
    progress(`sweep: starting ${rooms} tasks`)
    await pipeline.mixRooms(Array.from({ length: rooms }, (_, i) => `task-${i}`))

    // Every room listed once, from the outcomes the reconciler recorded (as many answered lists as
    // rooms is not enough: a room never listed is not the sweep's oldest news, its callbacks are).
    const roomsListed = async () => new Set(roomLists(await pipeline.history()).map((l) => l.roomId)).size
    const warmup = Date.now()
    while ((await roomsListed()) < rooms) {
      if (Date.now() - warmup > 600_000)
        throw new Error(`only ${await roomsListed()} of ${rooms} rooms listed`)
      await sleep(2_000)
    }

    progress(`sweep: every room listed; measuring ${seconds} s`)
    const lists = async () => (await pipeline.calls('DescribeSimpleStreamList')).length
    const { sim, ingest, reconciler } = pipeline.pids
    const from = {
      at: Date.now(),
      lists: await lists(),
      cpu: await cpuSeconds([sim, ingest, reconciler]),
      reconcilerCpu: await processCpuSeconds(reconciler),
      overloads: await pipeline.overloadsByAction(),
    }
    await sleep(seconds * 1000)
    const elapsedMs = Date.now() - from.at
    const to = {
      lists: await lists(),
      cpu: await cpuSeconds([sim, ingest, reconciler]),
      reconcilerCpu: await processCpuSeconds(reconciler),
    }
    const percentOfACore = (a: number | null, b: number | null) =>
      a === null || b === null ? '–' : `${Math.round(((b - a) * 100_000) / elapsedMs)} %`

    const overloads = overloadsBetween(from.overloads, await pipeline.overloadsByAction())
    const answered = roomLists(await pipeline.history())
    const firstListOf = new Map<string, number>()
    for (const list of answered) if (!firstListOf.has(list.roomId)) firstListOf.set(list.roomId, list.at)
    const samples = Array.from({ length: Math.floor(elapsedMs / 1000) }, (_, i) => from.at + (i + 1) * 1000)
    const ages = oldestNewsAges(answered, samples).sort((a, b) => a - b)
    result = row('sweep', `room sweep, ${rooms} rooms with a running task each, default policy`, {
      throughput: (to.lists - from.lists) / (elapsedMs / 1000),
      unit: 'stream lists/s',
      extra: {
        'first cycle s': (Math.max(...firstListOf.values()) - warmup) / 1000,
        'cycle (oldest news) median s': percentile(ages, 50) / 1000,
        'cycle max s': (ages.at(-1) ?? Number.NaN) / 1000,
        'CPU of sim+ingest+reconciler': percentOfACore(from.cpu, to.cpu),
        'CPU of reconciler': percentOfACore(from.reconcilerCpu, to.reconcilerCpu),
        'overload answers': overloads.total,
        'by action': overloads.byAction,
        'overload answers before (setup, first cycle)': overloadsBetween({}, from.overloads).byAction,
        'StopMix calls (must be 0)': (await pipeline.calls('StopMix')).length,
      },
    })
  })
  if (result === undefined) throw new Error('sweep produced no result')
  return result
}

if (import.meta.main) {
  const [rooms = '1000', seconds = '120'] = process.argv.slice(2)
  await runAlone((brokers, progress) =>
    benchSweep(brokers, { rooms: Number(rooms), seconds: Number(seconds) }, progress),
  )
}
