// Mass orphan events through the whole pipeline on the real clock: many tasks whose inputs all close
// at the same moment. Each component runs in a process of its own, as in production
// (process-pipeline.ts); the bench only drives and reads what ZEGO saw and what the topics hold.
//   one room:  `tasks` tasks in ONE room → from the end of the grace to the last StopMix, and ZEGO's
//              overload answers. Target (issue 12): grace + tasks / StopMix budget + 1 s, 0 overloads.
//   many rooms: `tasks` tasks over as many rooms → the peak stream lists per second (ZEGO allows 50/s
//              per AppID) and the last StopMix.
// Both rows say how many stops rest on their room's stream list (the decision cites it) rather than on
// the callbacks alone, when the closes reached ingest, and when the last stop was decided.
// The grace is the default policy's for a normal close (10 s). A grace shorter than ZEGO's 10 s per room
// lets the room sweep race the burst: a sweep list taken within (10 s − grace) before the closes, or after
// them but before the reconciler has them, cannot confirm the stops (a confirming list must be at most
// STOP_FLOOR_MS older than the confirmation), and ZEGO allows the room's next list only 10 s after it.
// So with a 5 s grace about half of all runs wait up to 5 s more; at 10 s or more, at most the ingest lag.
// Run: pnpm bench:mass-orphan [oneRoomTasks=500] [manyRooms=2000] [graceMs=10000]
// BENCH_LOG_DIR / BENCH_RECONCILER_LOG_LEVEL=info keep each process's log (process-pipeline.ts).
import { defaultPolicy } from '@mixguard/reconciler/core'
import { waitFor } from '../test/wait-for.ts'
import { runAlone } from './kafka.ts'
import { processCpuSeconds } from './process-cpu.ts'
import { overloadsBetween, type ProcessPipeline, withProcessPipeline } from './process-pipeline.ts'
import { type Row, row } from './row.ts'

/** The default policy's grace for a normal close: the row's grace unless one is given. */
export const DEFAULT_GRACE_MS = defaultPolicy(0).graceMs.normal

/** zego-api's default StopMix budget per AppID (budget.ts), for the target column. */
const STOP_BUDGET_PER_SECOND = 80
/** A stop later than this after the grace counts as never: the row says how many stopped. */
const GIVE_UP_MS = 180_000

interface Outcome {
  stopped: number
  firstBeyondMs: number
  lastBeyondMs: number
  listsPeakPerSecond: number
  lists: number
  overloads: { total: number; byAction: string }
  setupOverloads: number
  /** Stops whose decision cites a stream list of the task's room (not `+unconfirmed`). */
  onRoomList: number
  /** From the first to the last close reaching ingest (its receipt time). */
  closesReachedIngestOverMs: number
  lastDecidedBeyondMs: number
  reconcilerCpuSeconds: number
}

/** Peak over any one-second window (sliding, not calendar seconds) of ascending times. */
function peakPerSecond(times: readonly number[]): number {
  let peak = 0
  for (let i = 0, j = 0; i < times.length; i++) {
    while ((times[i] as number) - (times[j] as number) >= 1000) j++
    peak = Math.max(peak, i - j + 1)
  }
  return peak
}

/** Closes every input at once and waits for the stops (or GIVE_UP_MS after the grace). */
async function orphanAll(
  pipeline: ProcessPipeline,
  tasks: readonly string[],
  roomOf: (task: string) => string,
  graceMs: number,
): Promise<Outcome> {
  const setupOverloads = await pipeline.overloadsByAction()
  const listsBefore = (await pipeline.calls('DescribeSimpleStreamList')).length
  const cpuBefore = await processCpuSeconds(pipeline.pids.reconciler)
  const closedAtReal = Date.now()
  const closedAt = Math.min(...(await pipeline.unpublishAll(tasks.map((t) => `in-${t}`))))
  const graceEnd = closedAt + graceMs
  let stops = new Map<string, number>()
  await waitFor(
    'every orphan to be stopped',
    async () => {
      stops = await pipeline.stopCalls()
      return tasks.every((t) => stops.has(t))
    },
    { timeoutMs: graceMs + GIVE_UP_MS, intervalMs: 500 },
  ).catch(() => undefined)
  const cpuAfter = await processCpuSeconds(pipeline.pids.reconciler)
  const beyond = tasks
    .flatMap((t) => {
      const at = stops.get(t)
      return at === undefined ? [] : [at - graceEnd]
    })
    .sort((a, b) => a - b)
  const lists = (await pipeline.calls('DescribeSimpleStreamList'))
    .slice(listsBefore)
    .map((c) => c.receivedAt)
    .filter((t) => t >= closedAtReal)

  const history = await pipeline.history()
  const wanted = new Set(tasks)
  const inputs = new Set(tasks.map((t) => `in-${t}`))
  const closes = history.events
    .flatMap((e) => (e.type === 'stream_closed' && inputs.has(e.body.streamId) ? [e.receivedAt] : []))
    .sort((a, b) => a - b)
  const firstStop = new Map<string, { decidedAt: number; onRoomList: boolean }>()
  for (const d of history.decisions) {
    if (d.action !== 'stop' || !wanted.has(d.taskId) || firstStop.has(d.taskId)) continue
    const cites = d.evidence.eventIds.some((id) => id.startsWith(`room_streams:${roomOf(d.taskId)}@`))
    firstStop.set(d.taskId, {
      decidedAt: d.decidedAt,
      onRoomList: cites && !(d.rule ?? '').includes('unconfirmed'),
    })
  }
  const decided = [...firstStop.values()].map((s) => s.decidedAt)
  return {
    stopped: beyond.length,
    firstBeyondMs: beyond[0] ?? Number.NaN,
    lastBeyondMs: beyond.at(-1) ?? Number.NaN,
    listsPeakPerSecond: peakPerSecond(lists),
    lists: lists.length,
    overloads: overloadsBetween(setupOverloads, await pipeline.overloadsByAction()),
    setupOverloads: overloadsBetween({}, setupOverloads).total,
    onRoomList: [...firstStop.values()].filter((s) => s.onRoomList).length,
    closesReachedIngestOverMs:
      closes.length === 0 ? Number.NaN : (closes.at(-1) as number) - (closes[0] as number),
    lastDecidedBeyondMs: decided.length === 0 ? Number.NaN : Math.max(...decided) - graceEnd,
    reconcilerCpuSeconds: cpuBefore === null || cpuAfter === null ? Number.NaN : cpuAfter - cpuBefore,
  }
}

/** What both rows report. */
function common(o: Outcome, tasks: number): Record<string, string | number> {
  return {
    'last stop after grace ms': Math.round(o.lastBeyondMs),
    'first stop after grace ms': Math.round(o.firstBeyondMs),
    stopped: `${o.stopped}/${tasks}`,
    'on their room list': `${o.onRoomList}/${o.stopped}`,
    'overload answers': o.overloads.total,
    'by action': o.overloads.byAction,
    'overload answers in setup': o.setupOverloads,
    'stream lists': o.lists,
    'closes reached ingest over ms': Math.round(o.closesReachedIngestOverMs),
    'last stop decided after grace ms': Math.round(o.lastDecidedBeyondMs),
    'reconciler CPU s': Math.round(o.reconcilerCpuSeconds * 10) / 10,
  }
}

export async function benchMassOrphan(
  brokers: string[],
  options: { oneRoomTasks: number; manyRooms: number; graceMs: number },
  progress: (message: string) => void,
): Promise<Row[]> {
  const { oneRoomTasks, manyRooms, graceMs } = options
  const policy = { graceMs: { normal: graceMs } }
  const rows: Row[] = []
  // Each case stands alone: a failure in one becomes its own FAILED row and the other still runs.
  const attempt = async (subject: string, body: () => Promise<void>): Promise<void> => {
    try {
      await body()
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      rows.push(row('mass-orphan', `${subject}: FAILED`, { extra: { error: message.slice(0, 200) } }))
    }
  }
  if (oneRoomTasks > 0) {
    await attempt(`mass orphan, ${oneRoomTasks} tasks in one room`, () =>
      withProcessPipeline(brokers, { appId: 7201, name: 'mass-one', policy }, async (pipeline) => {
        const tasks = Array.from({ length: oneRoomTasks }, (_, i) => `one-${i}`)
        const roomOf = () => 'mass-room'
        progress(`mass orphan: starting ${oneRoomTasks} tasks in one room`)
        await pipeline.mixRooms(tasks, 50, roomOf)
        progress('mass orphan: closing every input at once')
        const o = await orphanAll(pipeline, tasks, roomOf, graceMs)
        rows.push(
          row('mass-orphan', `mass orphan, ${oneRoomTasks} tasks in one room: grace → last stop`, {
            extra: {
              ...common(o, oneRoomTasks),
              'target ms': Math.round((oneRoomTasks / STOP_BUDGET_PER_SECOND) * 1000 + 1000),
            },
          }),
        )
      }),
    )
  }
  if (manyRooms > 0) {
    await attempt(`mass orphan, ${manyRooms} rooms`, () =>
      withProcessPipeline(brokers, { appId: 7202, name: 'mass-many', policy }, async (pipeline) => {
        const tasks = Array.from({ length: manyRooms }, (_, i) => `many-${i}`)
        progress(`mass orphan: starting ${manyRooms} tasks in as many rooms`)
        await pipeline.mixRooms(tasks)
        progress('mass orphan: closing every input at once')
        const o = await orphanAll(pipeline, tasks, (t) => `room-${t}`, graceMs)
        rows.push(
          row('mass-orphan', `mass orphan, ${manyRooms} tasks over ${manyRooms} rooms`, {
            throughput: o.listsPeakPerSecond,
            unit: 'stream lists/s peak',
            extra: { ...common(o, manyRooms), 'ZEGO list limit /s': 50 },
          }),
        )
      }),
    )
  }
  return rows
}

if (import.meta.main) {
  const [oneRoomTasks = '500', manyRooms = '2000', graceMs = String(DEFAULT_GRACE_MS)] = process.argv.slice(2)
  const options = {
    oneRoomTasks: Number(oneRoomTasks),
    manyRooms: Number(manyRooms),
    graceMs: Number(graceMs),
  }
  await runAlone((brokers, progress) => benchMassOrphan(brokers, options, progress))
}
