// The room sweep at scale: `rooms` rooms each holding a running task with a live input, through the whole
// pipeline (zego-sim → ingest → Kafka → reconciler → zego-sim) on the real clock, with the default policy
// (the sweep on with half of the 40/s stream-list budget). Measures, once every room has been listed:
// the stream lists per second the reconciler makes, the sweep's cycle time (the age of the oldest
// room's news, sampled every second), and ZEGO's (zego-sim's) rate-limit answers, which must be 0.
// Run: pnpm bench:sweep [rooms] [seconds]
import { withOneAppPipeline } from './one-app-pipeline.ts'

const rooms = Number(process.argv[2] ?? 1_000)
const seconds = Number(process.argv[3] ?? 120)
const APP = 7101
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

await withOneAppPipeline({ appId: APP, name: 'sweep' }, async ({ sim, reconciler, mixRooms }) => {
  await mixRooms(Array.from({ length: rooms }, (_, i) => `task-${i}`))

  /** Every room's last list (its answer time), from the reconciler's own state. */
  const listedAt = (): number[] => {
    const times: number[] = []
    for (const app of reconciler.shell.apps())
      for (const bucket of Object.values(app.state.rooms))
        for (const room of Object.values(bucket))
          if (room.observedReceivedAt !== null) times.push(room.observedReceivedAt)
    return times
  }
  const warmup = Date.now()
  while (listedAt().length < rooms) {
    if (Date.now() - warmup > 600_000) throw new Error(`only ${listedAt().length} of ${rooms} rooms listed`)
    await sleep(500)
  }
  const firstCycleMs = Date.now() - warmup

  const lists = () => sim.ledger.calls(APP).filter((c) => c.action === 'DescribeSimpleStreamList').length
  const from = { at: Date.now(), lists: lists(), cpu: process.cpuUsage() }
  const ages: number[] = []
  while (Date.now() - from.at < seconds * 1000) {
    await sleep(1_000)
    const now = sim.clock.now()
    ages.push(Math.max(...listedAt().map((t) => now - t)))
  }
  const elapsedMs = Date.now() - from.at
  const perSecond = (lists() - from.lists) / (elapsedMs / 1000)
  const cpu = process.cpuUsage(from.cpu)
  const cpuShare = (cpu.user + cpu.system) / 1000 / elapsedMs
  ages.sort((a, b) => a - b)
  const q = (p: number) => ages[Math.min(ages.length - 1, Math.floor(p * ages.length))] ?? Number.NaN
  const overloads = sim.ledger.overloads()
  const rateLimited = Object.values(overloads).reduce((n, x) => n + x, 0)
  const stops = sim.ledger.stopCalls(APP).length
  console.log(`room sweep: ${rooms} rooms with a running task each, default policy, ${seconds} s measured`)
  console.log(`  every room listed ${(firstCycleMs / 1000).toFixed(1)} s after the last start`)
  console.log(`  stream lists/s: ${perSecond.toFixed(1)}`)
  console.log(
    `  cycle time (age of the oldest room's news): median ${(q(0.5) / 1000).toFixed(1)} s, max ${((ages.at(-1) ?? Number.NaN) / 1000).toFixed(1)} s`,
  )
  console.log(
    `  CPU of this process (zego-sim, ingest, reconciler): ${(cpuShare * 100).toFixed(0)} % of a core`,
  )
  console.log(
    `  rate-limit answers from zego-sim: ${rateLimited} ${JSON.stringify(overloads)}; StopMix calls: ${stops}`,
  )
  if (rateLimited > 0 || stops > 0) process.exitCode = 1
})
