// One reconciler restoring its state from the changelog, in a process of its own started with
// --expose-gc so its memory can be measured honestly: heap used after a full GC once the reconciler
// has restored, minus heap used after a full GC before it started. Prints one JSON line.
// Run (restore.ts does): node --expose-gc bench/restore-child.ts <brokers> <topicPrefix> <groupId>
import { loadConfig, startReconciler } from '@mixguard/reconciler'
import { pino } from 'pino'

const [brokers = '', prefix = '', group = ''] = process.argv.slice(2)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with --expose-gc')
const heapAfterGc = (): number => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

const config = loadConfig({
  KAFKA_BROKERS: brokers,
  TOPIC_PREFIX: prefix,
  RECONCILER_PORT: '0',
  RECONCILER_GROUP_ID: group,
})
if (!config.ok) throw new Error(config.message)
let restored: (fields: Record<string, unknown>) => void = () => {}
let phases: Record<string, unknown> = {}
const done = new Promise<Record<string, unknown>>((resolve) => {
  restored = resolve
})
const log = pino(
  { level: 'info' },
  {
    write: (line: string) => {
      const fields = JSON.parse(line) as Record<string, unknown>
      if (fields.msg === 'changelog read: where the restore went') phases = fields
      else if (fields.msg === 'restored partitions from the changelog') restored(fields)
      else if (Number(fields.level) >= 50) process.stderr.write(line)
    },
  },
)
const before = heapAfterGc()
const began = performance.now()
// CPU from start to ready: this thread's (JS, and the GC's share of it) and the process's (with
// libuv's threadpool, where the changelog is decompressed, and the GC's helper threads). A loaded machine stretches
// the wall time; these it stretches much less.
const cpuBefore = process.cpuUsage()
const mainBefore = process.threadCpuUsage()
const reconciler = await startReconciler(config.config, { log })
const fields = await done
const readyMs = performance.now() - began
const cpu = process.cpuUsage(cpuBefore)
const main = process.threadCpuUsage(mainBefore)
const heapDelta = heapAfterGc() - before
await reconciler.close()
console.log(
  JSON.stringify({
    readyMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    mainCpuMs: (main.user + main.system) / 1000,
    restoreStepMs: Number(fields.ms),
    apps: Number(fields.apps),
    heapDelta,
    readMs: Number(phases.ms),
    jsonMs: Number(phases.jsonMs),
    stateMs: Number(phases.stateMs),
    bytes: Number(phases.bytes),
    jsonBytes: Number(phases.jsonBytes),
  }),
)
process.exit(0)
