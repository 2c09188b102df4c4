import { afterAll, expect, inject, test } from 'vitest'
import { badBodies } from './bad-bodies.ts'
import { brokerOutage } from './broker-outage.ts'
import { decisionsRefused } from './decisions-refused.ts'
import { type Drill, type DrillContext, runDrill } from './drill.ts'
import { secretScanReport } from './drills.ts'
import { oversizeBurst } from './oversize-burst.ts'
import { reconcilerKills } from './reconciler-kills.ts'
import { type DrillReport, formatTable, row } from './report.ts'
import { createSecretBook } from './secret-book.ts'
import { slowClients } from './slow-clients.ts'
import { zegoFaults } from './zego-faults.ts'

// The short drills on CI's broker (the broker drill starts and stops its own). Each test asserts the
// bounds that must hold whatever the machine (nothing lost, nothing wrongful, no 5xx, no crash, no
// secret in a log); latencies are printed with the table, not asserted.

const ctx: DrillContext = {
  brokers: inject('kafkaBrokers'),
  env: process.env,
  book: createSecretBook(),
  short: true,
  progress: () => {},
}
const reports: DrillReport[] = []
afterAll(() => console.warn(`\n${formatTable(reports)}`))

async function drill(d: Drill): Promise<DrillReport> {
  const report = await runDrill(d, ctx)
  reports.push(report)
  expect(report.error).toBeUndefined()
  return report
}

/** The value of each named measure, to compare with what must hold. */
const values = (report: DrillReport, measures: string[]) =>
  Object.fromEntries(measures.map((m) => [m, row(report, m).value]))

const LONG = { timeout: 240_000 }

test('broker down under signed callbacks: no acknowledged callback lost, order kept', LONG, async () => {
  const report = await drill(brokerOutage)
  expect(
    values(report, [
      'acknowledged callbacks lost',
      'order inversions (acknowledged before another was sent, yet after it on the topic)',
      'ingest still running',
    ]),
  ).toEqual({
    'acknowledged callbacks lost': 0,
    'order inversions (acknowledged before another was sent, yet after it on the topic)': 0,
    'ingest still running': 'yes',
  })
})

test('reconciler SIGKILLed at random moments: no missed stop, no wrongful stop', LONG, async () => {
  const report = await drill(reconcilerKills)
  expect(values(report, ['tasks that failed to start', 'missed stops', 'wrongful stops'])).toEqual({
    'tasks that failed to start': 0,
    'missed stops': 0,
    'wrongful stops': 0,
  })
})

test('decisions topic refusing records mid-run: no crash, no stop lost', LONG, async () => {
  const report = await drill(decisionsRefused)
  expect(
    values(report, ['reconciler crashes (restarted by the drill)', 'stops lost', 'wrongful stops']),
  ).toEqual({
    'reconciler crashes (restarted by the drill)': 0,
    'stops lost': 0,
    'wrongful stops': 0,
  })
})

test(
  'oversize burst: each refused or dead-lettered, every ordinary callback lands, the pipeline flows',
  LONG,
  async () => {
    const report = await drill(oversizeBurst)
    expect(
      values(report, [
        'oversize requests neither refused nor dead-lettered',
        'ordinary callbacks answered 5xx or not at all',
        'acknowledged ordinary callbacks not on the topic',
        'an orphan made after the burst is stopped',
        'ingest still running',
      ]),
    ).toEqual({
      'oversize requests neither refused nor dead-lettered': 0,
      'ordinary callbacks answered 5xx or not at all': 0,
      'acknowledged ordinary callbacks not on the topic': 0,
      'an orphan made after the burst is stopped': 'yes',
      'ingest still running': 'yes',
    })
  },
)

test('2,000 slow clients: valid callbacks keep their 2xx', LONG, async () => {
  const report = await drill(slowClients)
  expect(values(report, ['valid callbacks during: not 2xx', 'ingest still running'])).toEqual({
    'valid callbacks during: not 2xx': 0,
    'ingest still running': 'yes',
  })
})

test(
  'generated bad bodies: no 5xx, no hang, the right status each, nothing forged stored',
  LONG,
  async () => {
    const report = await drill(badBodies)
    expect(
      values(report, [
        'answered 5xx',
        'no answer within 5 s (hangs)',
        'wrong status (see categories)',
        'forged, stale or unknown-app records stored',
        'ingest still running',
      ]),
    ).toEqual({
      'answered 5xx': 0,
      'no answer within 5 s (hangs)': 0,
      'wrong status (see categories)': 0,
      'forged, stale or unknown-app records stored': 0,
      'ingest still running': 'yes',
    })
  },
)

test("ZEGO API faults: every stop done, ZEGO's limits never exceeded", LONG, async () => {
  const report = await drill(zegoFaults)
  expect(
    values(report, ['stops never done', 'wrongful stops', 'rate-limit answers from ZEGO (not injected)']),
  ).toEqual({ 'stops never done': 0, 'wrongful stops': 0, 'rate-limit answers from ZEGO (not injected)': 0 })
})

test('no secret or signature in any log of any drill above', () => {
  const report = secretScanReport(ctx.book, true)
  reports.push(report)
  expect(ctx.book.linesScanned).toBeGreaterThan(0)
  expect(ctx.book.hits).toEqual([])
})
