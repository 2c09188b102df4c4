// `pnpm bench`: every benchmark in one run, on one broker, printed as ONE table (stdout) and written
// as JSON (bench/results/latest.json, or --out). Progress goes to stderr. A bench that fails becomes a
// row saying so and the run goes on; every process it started is stopped (teardown.ts).
// Run: pnpm bench [--quick] [--only ingest,core,...] [--out file] [--seconds 5] [--rate 2000]
//      [--restore 100,1000,5] …
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { benchBrokerStart } from './broker-start.ts'
import { benchCore } from './core.ts'
import { benchIngest, ingestOptionSpec, ingestOptions } from './ingest.ts'
import { withKafka } from './kafka.ts'
import { benchMassOrphan, DEFAULT_GRACE_MS } from './mass-orphan.ts'
import { benchRestore, type RestoreShape } from './restore.ts'
import { formatTable, type Row, row, writeResults } from './row.ts'
import { benchSweep } from './sweep.ts'
import { onTeardown, standalone } from './teardown.ts'
import { benchTimeToStop } from './time-to-stop.ts'

const BENCHES = ['core', 'broker', 'ingest', 'time-to-stop', 'mass-orphan', 'sweep', 'restore'] as const
type Bench = (typeof BENCHES)[number]

const { values } = parseArgs({
  options: {
    ...ingestOptionSpec,
    quick: { type: 'boolean', default: false },
    /**
     * The restore shape, `apps,roomsPerApp,streamsPerTask[,from]` (default 100,1000,5: 100k tasks, 500k
     * streams, the changelog written by the state store: see bench/restore.ts for `from`).
     */
    restore: { type: 'string', default: '100,1000,5,changelog' },
    only: { type: 'string' },
    out: { type: 'string', default: fileURLToPath(new URL('results/latest.json', import.meta.url)) },
  },
})
const quick = values.quick ?? false
function restoreShape(text: string): RestoreShape {
  const [apps, roomsPerApp, streamsPerTask] = text.split(',').slice(0, 3).map(Number)
  const from = text.split(',')[3] ?? 'changelog'
  const counts = [apps, roomsPerApp, streamsPerTask]
  if (
    !counts.every((n) => Number.isInteger(n) && (n as number) > 0) ||
    (from !== 'events' && from !== 'changelog')
  ) {
    console.error(
      `--restore wants apps,roomsPerApp,streamsPerTask (whole numbers)[,events|changelog], not ${JSON.stringify(text)}`,
    )
    process.exit(2)
  }
  return {
    apps: apps as number,
    roomsPerApp: roomsPerApp as number,
    streamsPerTask: streamsPerTask as number,
    from,
  }
}
const only = values.only?.split(',').map((s) => s.trim()) ?? [...BENCHES]
const unknown = only.filter((b) => !(BENCHES as readonly string[]).includes(b))
if (unknown.length > 0) {
  console.error(`unknown bench ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`)
  process.exit(2)
}
// --quick: tiny sizes, to see that everything runs (seconds, not minutes); its figures mean little.
const sizes = quick
  ? {
      core: { rooms: 50, rounds: 3, warmup: 1 },
      brokerStarts: 1,
      ingest: { ...ingestOptions(values), seconds: 1, warmup: 0, rate: 200, rateSeconds: 1 },
      timeToStop: { orphans: 5, perSecond: 20, graceMs: 3_000, load: 50 },
      massOrphan: { oneRoomTasks: 10, manyRooms: 10, graceMs: 3_000 },
      sweep: { rooms: 20, seconds: 3 },
      restore: { apps: 2, roomsPerApp: 10, streamsPerTask: 5, from: 'events' as const },
    }
  : {
      core: { rooms: 300, rounds: 30, warmup: 10 },
      brokerStarts: 3,
      ingest: ingestOptions(values),
      timeToStop: { orphans: 200, perSecond: 20, graceMs: 5_000, load: 1_000 },
      massOrphan: { oneRoomTasks: 500, manyRooms: 2_000, graceMs: DEFAULT_GRACE_MS },
      sweep: { rooms: 1_000, seconds: 30 },
      restore: restoreShape(values.restore),
    }

const began = Date.now()
const progress = (message: string) =>
  console.error(`${new Date().toISOString().slice(11, 19)} ${message} (load ${loadavg()[0]?.toFixed(1)})`)
const rows: Row[] = []
const loadBefore = loadavg()
let kafkaSource = ''

/** The table and the JSON, of whatever was measured: at the end, and after Ctrl-C too. */
async function report(): Promise<void> {
  const info = {
    command: `pnpm bench ${process.argv.slice(2).join(' ')}`.trim(),
    startedAt: new Date(began).toISOString(),
    seconds: Math.round((Date.now() - began) / 1000),
    node: process.version,
    cpus: cpus().length,
    load: {
      before: loadBefore.map((l) => Number(l.toFixed(2))),
      after: loadavg().map((l) => Number(l.toFixed(2))),
    },
    kafka: kafkaSource || 'not needed',
  }
  console.log(formatTable(rows))
  console.log('')
  console.log(
    `${info.command}: ${info.seconds} s on ${info.cpus} CPUs, Node ${info.node}; load average (1/5/15 min) ${info.load.before.join(' ')} before, ${info.load.after.join(' ')} after`,
  )
  await writeResults(values.out, info, rows)
  console.log(`results written to ${values.out}`)
}

await standalone(async () => {
  // Registered first, so it runs last: after every process the benches started has stopped.
  onTeardown(report)
  let brokers: string[] | undefined
  const kafka = async () => {
    if (brokers === undefined) {
      progress('starting the shared Kafka broker')
      brokers = await withKafka()
      kafkaSource = brokers.join(',')
    }
    return brokers
  }
  const runs: Record<Bench, () => Promise<Row | Row[]>> = {
    core: async () => benchCore(sizes.core.rooms, sizes.core.rounds, sizes.core.warmup),
    broker: () => benchBrokerStart(sizes.brokerStarts, progress),
    ingest: async () => benchIngest(await kafka(), sizes.ingest, progress),
    'time-to-stop': async () => benchTimeToStop(await kafka(), sizes.timeToStop, progress),
    'mass-orphan': async () => benchMassOrphan(await kafka(), sizes.massOrphan, progress),
    sweep: async () => benchSweep(await kafka(), sizes.sweep, progress),
    restore: async () => benchRestore(await kafka(), sizes.restore, progress),
  }
  for (const bench of BENCHES) {
    if (!only.includes(bench)) continue
    progress(`${bench}: starting`)
    try {
      const got = [await runs[bench]()].flat()
      rows.push(...got)
      for (const r of got) progress(`${bench}: ${formatTable([r]).split('\n')[2]}`)
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      progress(`${bench}: FAILED: ${message}`)
      rows.push(row(bench, `${bench}: FAILED`, { extra: { error: message.slice(0, 200) } }))
      process.exitCode = 1
    }
  }
})
