import { badBodies } from './bad-bodies.ts'
import { brokerOutage } from './broker-outage.ts'
import { decisionsRefused } from './decisions-refused.ts'
import type { Drill } from './drill.ts'
import { oversizeBurst } from './oversize-burst.ts'
import { reconcilerKills } from './reconciler-kills.ts'
import { type DrillReport, rows } from './report.ts'
import type { SecretBook } from './secret-book.ts'
import { slowClients } from './slow-clients.ts'
import { zegoFaults } from './zego-faults.ts'

/** Every drill, in the order `pnpm drill` runs them; the secret scan (drill 8) reads all their logs last. */
export const DRILLS: Drill[] = [
  brokerOutage,
  reconcilerKills,
  decisionsRefused,
  oversizeBurst,
  slowClients,
  badBodies,
  zegoFaults,
]

/** Drill 8: the logs of every process every drill started, scanned for every secret and signature handed out. */
export function secretScanReport(book: SecretBook, short: boolean): DrillReport {
  const r = rows('8 secrets in logs')
  r.note('log lines scanned', book.linesScanned)
  r.check('secrets or signatures found', book.hits.length, book.hits.length === 0)
  for (const kind of new Set(book.hits.map((h) => h.kind)))
    r.note(
      `  found: ${kind} in`,
      [...new Set(book.hits.filter((h) => h.kind === kind).map((h) => h.source))].join(', '),
    )
  return { drill: 'secret-scan', short, startedAt: new Date().toISOString(), seconds: 0, rows: r.list }
}
