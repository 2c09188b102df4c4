// `pnpm drill [--short] [--only name,name] [--out file.json] [--keep-logs dir]`: Mixguard's fault and
// abuse drills on a real Kafka broker (KAFKA_BROKERS, or a local one started from the jars and stopped at
// the end) and zego-sim. Prints one table (drill | measure | value | verdict) and writes every report as
// JSON. DRILL_SHORT=1 is the same as --short; --keep-logs (or DRILL_LOG_DIR) keeps every process's logs
// and zego-sim's call ledger there as JSON lines.
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { provideKafka } from '@mixguard/kafka/local'
import { type DrillContext, runDrill } from './drill.ts'
import { DRILLS, secretScanReport } from './drills.ts'
import { type DrillReport, formatTable } from './report.ts'
import { createSecretBook } from './secret-book.ts'

const { values } = parseArgs({
  options: {
    short: { type: 'boolean', default: process.env.DRILL_SHORT === '1' },
    only: { type: 'string' },
    out: { type: 'string', default: 'drill-results.json' },
    'keep-logs': { type: 'string', default: process.env.DRILL_LOG_DIR },
    help: { type: 'boolean', short: 'h' },
  },
})
if (values.help) {
  console.log(`usage: ./mixguard drill [--short] [--only NAME,NAME] [--out FILE.json] [--keep-logs DIR]

Fault and abuse drills on a real Kafka broker (KAFKA_BROKERS, or a local one from the jars) and zego-sim,
with ingest and the reconciler as their own processes. Prints one table (drill | measure | value |
verdict) and writes every report as JSON to --out (default drill-results.json).
  --short       the short versions (CI runs these; DRILL_SHORT=1 does the same)
  --only        these drills only: ${DRILLS.map((d) => d.name).join(', ')}
  --keep-logs   keep every process's logs and zego-sim's call ledger in DIR (or DRILL_LOG_DIR)`)
  process.exit(0)
}
const only = values.only?.split(',').map((s) => s.trim())
const chosen = DRILLS.filter((d) => only === undefined || only.includes(d.name))
if (chosen.length === 0) {
  console.error(`no drill named ${values.only}; drills: ${DRILLS.map((d) => d.name).join(', ')}`)
  process.exit(2)
}

const kafka = await provideKafka({ env: process.env })
const book = createSecretBook()
const ctx: DrillContext = {
  brokers: kafka.brokers,
  env: process.env,
  book,
  short: values.short ?? false,
  logDir: values['keep-logs'],
  progress: (message) => console.error(`${new Date().toISOString().slice(11, 19)} ${message}`),
}
const reports: DrillReport[] = []
let interrupted = false
const onSignal = () => {
  interrupted = true
  ctx.progress('interrupted: finishing the current drill, then stopping everything')
}
process.once('SIGINT', onSignal)
process.once('SIGTERM', onSignal)
try {
  for (const drill of chosen) {
    if (interrupted) break
    reports.push(await runDrill(drill, ctx))
  }
  reports.push(secretScanReport(book, ctx.short))
} finally {
  await kafka.stop()
}

console.log(formatTable(reports))
await writeFile(values.out ?? 'drill-results.json', `${JSON.stringify(reports, null, 2)}\n`)
console.log(`\nreports written to ${values.out}`)
process.exitCode = reports.some((r) => r.error !== undefined || r.rows.some((row) => row.verdict === 'fail'))
  ? 1
  : 0
