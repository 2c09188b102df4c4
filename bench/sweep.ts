// The room sweep at scale: `rooms` rooms each holding a running task with a live input, through the whole
// pipeline (zego-sim → ingest → Kafka → reconciler → zego-sim) on the real clock, with the default policy
// (the sweep on with half of the 40/s stream-list budget). Measures, once every room has been listed:
// the stream lists per second the reconciler makes, the sweep's cycle time (the age of the oldest
// room's news, sampled every second), and ZEGO's (zego-sim's) rate-limit answers, which must be 0.
// Run: pnpm bench:sweep [rooms=1000] [seconds=120]

import { tvalues } from '@mixguard/reconciler/core'
import { runAlone } from './kafka.ts'
import { withOneAppPipeline } from './one-app-pipeline.ts'
import { percentile, type Row, row } from './row.ts'

const APP = 7101
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export async function benchSweep(
  brokers: string[],
  options: { rooms: number; seconds: number },
  progress: (message: string) => void,
): Promise<Row> {
  const { rooms, seconds } = options
  let result: Row | undefined
  await withOneAppPipeline(brokers, { appId: APP, name: 'sweep' }, async ({ sim, reconciler, mixRooms }) => {
    progress(`sweep: starting ${rooms} tasks`)
    await mixRooms(Array.from({ length: rooms }, (_, i) => `task-${i}`))

    /** Every room's last list (its answer time), from the reconciler's own state. */
    const listedAt = (): number[] => {
      const times: number[] = []
      for (const app of reconciler.shell.apps())
        for (const room of tvalues(app.state.rooms))
          if (room.observedReceivedAt !== null) times.push(room.observedReceivedAt)
      return times
    }
    const warmup = Date.now()
    while (listedAt().length < rooms) {
      if (Date.now() - warmup > 600_000) throw new Error(`only ${listedAt().length} of ${rooms} rooms listed`)
      await sleep(500)
    }
    const firstCycleMs = Date.now() - warmup

    progress(`sweep: every room listed; measuring ${seconds} s`)
    const lists = () => sim.ledger.calls(APP).filter((c) => c.action === 'DescribeSimpleStreamList').length
    const from = { at: Date.now(), lists: lists(), cpu: process.cpuUsage() }
    const ages: number[] = []
    while (Date.now() - from.at < seconds * 1000) {
      await sleep(1_000)
      const now = sim.clock.now()
      ages.push(Math.max(...listedAt().map((t) => now - t)))
    }
    const elapsedMs = Date.now() - from.at
    const cpu = process.cpuUsage(from.cpu)
    ages.sort((a, b) => a - b)
    result = row('sweep', `room sweep, ${rooms} rooms with a running task each, default policy`, {
      throughput: (lists() - from.lists) / (elapsedMs / 1000),
      unit: 'stream lists/s',
      extra: {
        'first cycle s': firstCycleMs / 1000,
        'cycle (oldest news) median s': percentile(ages, 50) / 1000,
        'cycle max s': (ages.at(-1) ?? Number.NaN) / 1000,
        'CPU of sim+ingest+reconciler': `${Math.round(((cpu.user + cpu.system) / 1000 / elapsedMs) * 100)} %`,
        'overload answers': Object.values(sim.ledger.overloads()).reduce((n, x) => n + x, 0),
        'StopMix calls (must be 0)': sim.ledger.stopCalls(APP).length,
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
