// Mass orphan events through the whole pipeline on the real clock: many tasks whose inputs all close
// at the same moment.
//   one room:  `tasks` tasks in ONE room → from the end of the grace to the last StopMix, and ZEGO's
//              overload answers. Target (issue 12): grace + tasks / StopMix budget + 1 s, 0 overloads.
//   many rooms: `tasks` tasks over as many rooms → the peak stream lists per second (ZEGO allows 50/s
//              per AppID) and the last StopMix.
// Run: pnpm bench:mass-orphan [oneRoomTasks=500] [manyRooms=2000] [graceMs=5000]
import type { Simulator } from '@mixguard/zego-sim'
import { runAlone } from './kafka.ts'
import { withOneAppPipeline } from './one-app-pipeline.ts'
import { type Row, row } from './row.ts'

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
  overloads: number
}

/** Closes every input at once and waits for the stops (or GIVE_UP_MS after the grace). */
async function orphanAll(
  sim: Simulator,
  appId: number,
  tasks: readonly string[],
  graceMs: number,
): Promise<Outcome> {
  const pending = new Set(tasks)
  const allEnded = new Promise<void>((resolve) => {
    const off = sim.world.subscribe((e) => {
      if (e.type === 'task_ended' && pending.delete(e.task.taskId) && pending.size === 0) {
        off()
        resolve()
      }
    })
  })
  const listsBefore = sim.ledger.calls(appId).length
  const closedAt = sim.clock.now()
  const closedAtReal = Date.now()
  for (const task of tasks) sim.actions.unpublish({ appId, streamId: `in-${task}` })
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    allEnded,
    new Promise((resolve) => {
      timer = setTimeout(resolve, graceMs + GIVE_UP_MS)
    }),
  ])
  clearTimeout(timer)
  const graceEnd = closedAt + graceMs
  const wanted = new Set(tasks)
  const stops = sim.ledger
    .stopCalls(appId)
    .filter((c) => c.taskId !== undefined && wanted.has(c.taskId))
    .map((c) => c.simAt - graceEnd)
    .sort((a, b) => a - b)
  const lists = sim.ledger
    .calls(appId)
    .slice(listsBefore)
    .filter((c) => c.action === 'DescribeSimpleStreamList')
    .map((c) => c.receivedAt)
  // Peak over any one-second window (sliding, not calendar seconds).
  let peak = 0
  for (let i = 0, j = 0; i < lists.length; i++) {
    while ((lists[i] as number) - (lists[j] as number) >= 1000) j++
    peak = Math.max(peak, i - j + 1)
  }
  return {
    stopped: tasks.length - pending.size,
    firstBeyondMs: stops[0] ?? Number.NaN,
    lastBeyondMs: stops.at(-1) ?? Number.NaN,
    listsPeakPerSecond: peak,
    lists: lists.filter((t) => t >= closedAtReal).length,
    overloads: Object.values(sim.ledger.overloads()).reduce((n, x) => n + x, 0),
  }
}

export async function benchMassOrphan(
  brokers: string[],
  options: { oneRoomTasks: number; manyRooms: number; graceMs: number },
  progress: (message: string) => void,
): Promise<Row[]> {
  const { oneRoomTasks, manyRooms, graceMs } = options
  const policy = (p: Parameters<NonNullable<Parameters<typeof withOneAppPipeline>[1]['policy']>>[0]) => ({
    ...p,
    graceMs: { ...p.graceMs, normal: graceMs },
  })
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
      withOneAppPipeline(brokers, { appId: 7201, name: 'mass-one', policy }, async ({ sim, mixRooms }) => {
        const tasks = Array.from({ length: oneRoomTasks }, (_, i) => `one-${i}`)
        progress(`mass orphan: starting ${oneRoomTasks} tasks in one room`)
        await mixRooms(tasks, 50, () => 'mass-room')
        progress('mass orphan: closing every input at once')
        const o = await orphanAll(sim, 7201, tasks, graceMs)
        rows.push(
          row('mass-orphan', `mass orphan, ${oneRoomTasks} tasks in one room: grace → last stop`, {
            extra: {
              'last stop after grace ms': Math.round(o.lastBeyondMs),
              'first stop after grace ms': Math.round(o.firstBeyondMs),
              'target ms': Math.round((oneRoomTasks / STOP_BUDGET_PER_SECOND) * 1000 + 1000),
              stopped: `${o.stopped}/${oneRoomTasks}`,
              'overload answers': o.overloads,
              'stream lists': o.lists,
            },
          }),
        )
      }),
    )
  }
  if (manyRooms > 0) {
    await attempt(`mass orphan, ${manyRooms} rooms`, () =>
      withOneAppPipeline(brokers, { appId: 7202, name: 'mass-many', policy }, async ({ sim, mixRooms }) => {
        const tasks = Array.from({ length: manyRooms }, (_, i) => `many-${i}`)
        progress(`mass orphan: starting ${manyRooms} tasks in as many rooms`)
        await mixRooms(tasks)
        progress('mass orphan: closing every input at once')
        const o = await orphanAll(sim, 7202, tasks, graceMs)
        rows.push(
          row('mass-orphan', `mass orphan, ${manyRooms} tasks over ${manyRooms} rooms`, {
            throughput: o.listsPeakPerSecond,
            unit: 'stream lists/s peak',
            extra: {
              'last stop after grace ms': Math.round(o.lastBeyondMs),
              'first stop after grace ms': Math.round(o.firstBeyondMs),
              'ZEGO list limit /s': 50,
              stopped: `${o.stopped}/${manyRooms}`,
              'overload answers': o.overloads,
              'stream lists': o.lists,
            },
          }),
        )
      }),
    )
  }
  return rows
}

if (import.meta.main) {
  const [oneRoomTasks = '500', manyRooms = '2000', graceMs = '5000'] = process.argv.slice(2)
  const options = {
    oneRoomTasks: Number(oneRoomTasks),
    manyRooms: Number(manyRooms),
    graceMs: Number(graceMs),
  }
  await runAlone((brokers, progress) => benchMassOrphan(brokers, options, progress))
}
