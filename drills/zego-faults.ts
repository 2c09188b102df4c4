import { ZegoCode } from '@mixguard/zego-api'
import type { FaultInput } from '@mixguard/zego-sim'
import { type Drill, within } from './drill.ts'
import { type DrillTask, orphan, orphansEnded, startTask, stopBooks } from './mix-tasks.ts'
import { rows } from './report.ts'
import { startStack } from './stack.ts'

const GRACE_MS = 3_000
/** The reconciler's ZEGO timeout in this drill; delay faults hold calls longer. */
const TIMEOUT_MS = 2_000
/** ZEGO's limits (docs/zego.md): 100 calls/s per AppId and Action; one stream list per room per 10 s. */
const RATE_PER_SECOND = 100

/** The faults queued for Mixguard's calls, `times` each. */
function faultPlan(times: number): FaultInput[] {
  const plan: FaultInput[] = [
    { action: 'StopMix', kind: 'delay', delayMs: TIMEOUT_MS * 2, count: 2 },
    { action: 'StopMix', kind: 'http', httpStatus: 503, count: 2 },
    { action: 'StopMix', kind: 'http', httpStatus: 502, count: 1 },
    { action: 'StopMix', code: ZegoCode.MixFailed, count: 2 },
    { action: 'StopMix', code: ZegoCode.MixStopOverload, count: 2 },
    { action: 'StopMix', code: ZegoCode.SignatureExpired, count: 2 },
    { action: 'DescribeSimpleStreamList', code: ZegoCode.RoomStreamListFailed, count: 3 },
    { action: 'DescribeSimpleStreamList', kind: 'delay', delayMs: TIMEOUT_MS * 2, count: 1 },
    { action: 'DescribeSimpleStreamList', kind: 'http', httpStatus: 500, count: 1 },
    { action: 'GetMixTaskInfo', code: ZegoCode.MixFailed, count: 1 },
  ]
  return plan.map((f) => ({ ...f, count: f.count * times }))
}

/**
 * Drill 7: ZEGO's API misbehaves for Mixguard's calls — timeouts, HTTP 5xx pages, "failed" (110200001),
 * "overloaded" (110200191), "signature expired" (100000004), "stream list failed" (154) — while a set of
 * mixes become orphans. Every stop is eventually done, and Mixguard never goes over ZEGO's limits
 * (zego-sim answers every call over them with its rate-limit codes; the injected ones are subtracted).
 */
export const zegoFaults: Drill = {
  name: 'zego-faults',
  async run(ctx) {
    const size = ctx.short
      ? { tasks: 10, times: 1, waitMs: 60_000 }
      : { tasks: 40, times: 3, waitMs: 150_000 }
    const r = rows('7 ZEGO faults')
    const stack = await startStack({
      label: 'zego',
      brokers: ctx.brokers,
      book: ctx.book,
      logDir: ctx.logDir,
      reconciler: true,
      policy: { graceMs: { normal: GRACE_MS } },
      reconcilerEnv: { ZEGO_API_TIMEOUT_MS: String(TIMEOUT_MS) },
    })
    try {
      const { sim, app } = stack
      const tasks: DrillTask[] = []
      for (let i = 0; i < size.tasks; i++) tasks.push(await startTask(stack, `faulty-${i}`, i % 5 === 4))
      const plan = faultPlan(size.times).map((f) => ({ ...f, appId: app.appId }))
      for (const f of plan) sim.faults.add(f)
      const injectedOverloads = plan
        .filter((f) => f.code === ZegoCode.MixStopOverload)
        .reduce((s, f) => s + f.count, 0)
      for (const t of tasks) if (!t.live) orphan(stack, t)
      const began = Date.now()
      const ended = await within(
        orphansEnded(stack, tasks).then(() => true),
        size.waitMs,
        false,
      )
      const allStoppedAfter = Date.now() - began

      const left = sim.faults.list()
      const queued = plan.reduce((s, f) => s + f.count, 0)
      const taken = queued - left.reduce((s, f) => s + f.remaining, 0)
      const leftOverloads = left
        .filter((f) => f.code === ZegoCode.MixStopOverload && f.kind === 'code')
        .reduce((s, f) => s + f.remaining, 0)
      const mixguard = sim.ledger.calls(app.appId).filter((c) => c.caller !== 'customer')
      const limiterAnswers =
        Object.values(sim.ledger.overloads()).reduce((s, n) => s + n, 0) - (injectedOverloads - leftOverloads)
      const roomLimit = mixguard.filter((c) => c.code === ZegoCode.RoomQpsLimit).length
      const books = stopBooks(stack, tasks, GRACE_MS)

      r.note('orphans / live tasks', `${books.orphans} / ${tasks.filter((t) => t.live).length}`)
      r.note('faults injected (taken of queued)', `${taken} of ${queued}`)
      r.check('stops never done', books.missed, books.missed === 0 && ended)
      r.check('wrongful stops', books.wrongful, books.wrongful === 0)
      r.note('all orphans stopped after (s)', ended ? Math.round(allStoppedAfter / 100) / 10 : 'not all')
      r.note(
        'Mixguard calls to ZEGO (StopMix / stream list / task info)',
        ['StopMix', 'DescribeSimpleStreamList', 'GetMixTaskInfo']
          .map((a) => mixguard.filter((c) => c.action === a).length)
          .join(' / '),
      )
      r.check('rate-limit answers from ZEGO (not injected)', limiterAnswers, limiterAnswers === 0)
      r.note('  of which "one stream list per room per 10 s" (207)', roomLimit)
      const busiest = busiestSecond(mixguard)
      r.check(
        `busiest second for one Action (calls; ZEGO allows ${RATE_PER_SECOND})`,
        busiest,
        busiest <= RATE_PER_SECOND,
      )
      r.note('duplicate StopMix calls (carried out beyond the first per task)', books.duplicates)
      return r.list
    } finally {
      await stack.close()
    }
  },
}

/** The most calls of one Action inside any 1 s window (receive times on the real clock). */
function busiestSecond(calls: Array<{ action: string; receivedAt: number }>): number {
  let most = 0
  for (const action of new Set(calls.map((c) => c.action))) {
    const times = calls
      .filter((c) => c.action === action)
      .map((c) => c.receivedAt)
      .sort((a, b) => a - b)
    let from = 0
    for (let to = 0; to < times.length; to++) {
      while ((times[to] as number) - (times[from] as number) >= 1_000) from += 1
      most = Math.max(most, to - from + 1)
    }
  }
  return most
}
