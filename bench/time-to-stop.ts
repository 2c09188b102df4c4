// Time-to-stop beyond the grace: from the moment an orphan's grace ends (ZEGO's close time + grace)
// to ZEGO receiving our StopMix, through the whole pipeline (zego-sim → ingest → Kafka → reconciler →
// confirmation → StopMix), on the real clock, below the budget rate, while `load` other events/s
// (noise.ts) flow through the same pipeline. Each component runs in a process of its own, as in
// production (process-pipeline.ts), and the load comes from wrk (a C driver that costs the two shared
// cores little, so the row measures the pipeline rather than its driver).
// Run: pnpm bench:time-to-stop [orphans=200] [perSecond=20] [graceMs=5000] [load=1000]. Graces under
// the core's 3 s stop floor (STOP_FLOOR_MS: a late close and a late reconnect must get a moment to
// meet) measure the floor.

import { readFile } from 'node:fs/promises'
import { join } from 'node:path'
import { waitFor } from '../test/wait-for.ts'
import { cpuPressureSeconds, processCpuWaitSeconds } from './cpu-wait.ts'
import { localBrokerPid } from './ingest-broker.ts'
import { runAlone } from './kafka.ts'
import { prepareNoise } from './noise.ts'
import { processCpuSeconds } from './process-cpu.ts'
import { withProcessPipeline } from './process-pipeline.ts'
import { percentile, type Row, row } from './row.ts'
import { stopHops } from './stop-hops.ts'

export interface TimeToStopOptions {
  orphans: number
  perSecond: number
  graceMs: number
  load: number
}

const APP = 7001
/** Unique per run, so the hop table reads only this run's stops from a log that earlier runs appended to. */
const TASK_PREFIX = `tts-${Date.now().toString(36)}-`
/** A stop later than this after the last grace counts as never: the row says how many stopped. */
const GIVE_UP_MS = 120_000

export async function benchTimeToStop(
  brokers: string[],
  options: TimeToStopOptions,
  progress: (message: string) => void,
): Promise<Row> {
  const { orphans, perSecond, graceMs, load } = options
  let result: Row | undefined
  await withProcessPipeline(
    brokers,
    { appId: APP, name: 'tts', policy: { graceMs: { normal: graceMs } } },
    async ({
      mixRooms,
      unpublish,
      stopCalls,
      overloads,
      ingestUrl,
      callbackSecret,
      reconcilerLoopHeldMs,
      reconcilerLag,
      reconcilerSaves,
      pids,
    }) => {
      const tasks = Array.from({ length: orphans }, (_, i) => `${TASK_PREFIX}${i}`)
      progress(`time-to-stop: starting ${orphans} tasks`)
      await mixRooms(tasks)
      const setupOverloads = await overloads()
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
      // From here on: what held the reconciler's loop while the orphans were closed and stopped.
      await reconcilerLoopHeldMs()
      const brokerPid = await localBrokerPid(brokers)
      const cpuFrom = await processCpuSeconds(pids.reconciler)
      const othersFrom = [await processCpuSeconds(pids.ingest), await processCpuSeconds(brokerPid)]
      // Runnable but not running uses no CPU: what each process waited for a CPU, and the machine.
      const waiting = [pids.ingest, pids.reconciler, brokerPid]
      const waitsFrom = await Promise.all(waiting.map(processCpuWaitSeconds))
      const pressureFrom = await cpuPressureSeconds()
      const savesFrom = await reconcilerSaves()
      const began = Date.now()
      // How far behind the events the reconciler was meanwhile (a late close is a stop that waits).
      const lags: number[] = []
      const sampling = setInterval(() => {
        reconcilerLag().then(
          (n) => lags.push(n),
          () => {},
        )
      }, 500)
      for (const [i, task] of tasks.entries()) {
        // Paced below the budget, so the figure is the pipeline's latency and not a queue's.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.max(0, began + (i * 1000) / perSecond - Date.now())),
        )
        closedAt.set(task, await unpublish(`in-${task}`))
      }
      // ZEGO is another process: its ledger is read until every task has its stop or the bench gives up.
      let stops = new Map<string, number>()
      await waitFor(
        'every orphan to be stopped',
        async () => {
          stops = await stopCalls()
          return tasks.every((t) => stops.has(t))
        },
        { timeoutMs: graceMs + GIVE_UP_MS, intervalMs: 250 },
      ).catch(() => undefined)
      clearInterval(sampling)
      const loopHeld = await reconcilerLoopHeldMs()
      const cpuTo = await processCpuSeconds(pids.reconciler)
      const othersTo = [await processCpuSeconds(pids.ingest), await processCpuSeconds(brokerPid)]
      const waitsTo = await Promise.all(waiting.map(processCpuWaitSeconds))
      const pressureTo = await cpuPressureSeconds()
      const savesTo = await reconcilerSaves()
      const saves = savesTo.count - savesFrom.count
      // Steadier than the latencies on a shared machine: the reconciler's own work in the same window.
      const cpuSeconds = cpuFrom === null || cpuTo === null ? Number.NaN : cpuTo - cpuFrom
      const windowSeconds = (Date.now() - began) / 1000
      const pressure = secondsBetween([pressureFrom], [pressureTo], (s) => (100 * s) / windowSeconds)
      const loadResult = await noise
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
            'other callbacks/s offered / answered': `${load} / ${Math.round(
              loadResult ? loadResult.answered / loadResult.seconds : 0,
            )}`,
            'their p99 ms': Math.round(loadResult?.p99Ms ?? 0),
            // Above a few ms the driver fell behind (every connection busy): the load offered was less.
            'driver late p99 ms': Math.round(loadResult?.lateP99Ms ?? 0),
            'overload answers': (await overloads()) - setupOverloads,
            'overload answers in setup': setupOverloads,
            "reconciler's loop held max ms": Math.round(loopHeld),
            "reconciler's CPU s / window s": `${cpuSeconds.toFixed(1)} / ${windowSeconds.toFixed(1)}`,
            // The same window's CPU of ingest and of the broker (a local one), which share the two cores.
            'ingest / broker CPU s': secondsBetween(othersFrom, othersTo),
            // Seconds their threads were runnable but not running: on a shared machine, often more.
            'ingest / reconciler / broker waiting for CPU s': secondsBetween(waitsFrom, waitsTo),
            // The share of the window in which some task of the machine waited for a CPU.
            "machine's CPU pressure %": pressure,
            // Each save encodes its apps' whole state, in slices (save-coalescer.ts, state-records.ts).
            "reconciler's state saves / mean ms": `${saves} / ${
              saves === 0 ? '–' : Math.round((1000 * (savesTo.seconds - savesFrom.seconds)) / saves)
            }`,
            "reconciler's lag p50 / max events": `${percentile(
              [...lags].sort((a, b) => a - b),
              50,
            )} / ${Math.max(0, ...lags)}`,
          },
        },
      )
    },
  )
  if (result === undefined) throw new Error('time-to-stop produced no result')
  return result
}

/** Each reading's growth over the window (`–` where one is missing), as `a / b / …`. */
function secondsBetween(
  from: (number | null)[],
  to: (number | null)[],
  show = (seconds: number) => seconds,
): string {
  return to
    .map((end, i) => {
      const start = from[i]
      return end === null || start === null || start === undefined ? '–' : show(end - start).toFixed(1)
    })
    .join(' / ')
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
  // With the reconciler's decisions and outcomes logged, where each stop's time went.
  const logDir = process.env.BENCH_LOG_DIR
  if (logDir !== undefined && process.env.BENCH_RECONCILER_LOG_LEVEL !== undefined) {
    const log = await readFile(join(logDir, 'reconciler.log'), 'utf8').catch(() => '')
    console.log(`\n${stopHops(log, TASK_PREFIX)}`)
  }
}
