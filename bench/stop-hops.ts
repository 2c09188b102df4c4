// Where the time of each stop goes, read from the reconciler's own log (BENCH_LOG_DIR with
// BENCH_RECONCILER_LOG_LEVEL=info: every decision and outcome is a line). Per orphan: its first
// confirming room list (decision `verify`, rule `room_streams` or a sweep's), its stop, and their
// outcomes. A decision's `decidedAt` is when the core decided it and its line is written once it is
// published; an outcome's `at` is when ZEGO answered and its line once it is recorded.
import { percentile } from './row.ts'

interface Line {
  time: number
  taskId?: string
  decision?: { action: string; decidedAt: number; evidence: { deadline: number | null } }
  outcome?: { action: string; result: string; at: number }
}

interface Stop {
  verify?: { decided: number; logged: number }
  list?: { at: number; logged: number }
  stop?: { decided: number; logged: number; deadline: number }
  stopMix?: { at: number }
  /** Room lists of its room that ZEGO answered before its stop was decided. */
  lists: number
}

type Complete = Required<Stop>

const HOPS: [string, (s: Complete) => number][] = [
  ['deadline → list decided (tick, partition)', (s) => s.verify.decided - s.stop.deadline],
  ['list decided → published', (s) => s.verify.logged - s.verify.decided],
  ['published → list answered (lane, HTTP)', (s) => s.list.at - s.verify.logged],
  // The list is sent while its decision is published: this, not the two hops above, is the path.
  ['list decided → list answered (publish ∥ lane, HTTP)', (s) => s.list.at - s.verify.decided],
  ['list answered → outcome durable', (s) => s.list.logged - s.list.at],
  ['outcome durable → stop decided', (s) => s.stop.decided - s.list.logged],
  ['list answered → stop decided', (s) => s.stop.decided - s.list.at],
  ['stop decided → published', (s) => s.stop.logged - s.stop.decided],
  ['published → StopMix answered (lane, HTTP)', (s) => s.stopMix.at - s.stop.logged],
  ['deadline → StopMix answered', (s) => s.stopMix.at - s.stop.deadline],
]

/** The hop table (markdown) of the tasks named `${prefix}…` in a reconciler log. */
export function stopHops(log: string, prefix: string): string {
  const stops = new Map<string, Stop>()
  for (const text of log.split('\n')) {
    if (!text.startsWith('{') || !text.includes(`"taskId":"${prefix}`)) continue
    const line = JSON.parse(text) as Line
    if (line.taskId === undefined) continue
    const s = stops.get(line.taskId) ?? { lists: 0 }
    stops.set(line.taskId, s)
    const { decision, outcome } = line
    if (decision?.action === 'verify') s.verify ??= { decided: decision.decidedAt, logged: line.time }
    if (decision?.action === 'stop')
      s.stop ??= { decided: decision.decidedAt, logged: line.time, deadline: decision.evidence.deadline ?? 0 }
    if (outcome?.action === 'DescribeSimpleStreamList' && outcome.result === 'observed' && !s.stop) {
      s.list ??= { at: outcome.at, logged: line.time }
      s.lists++
    }
    if (outcome?.action === 'StopMix') s.stopMix ??= { at: outcome.at }
  }
  const complete = [...stops.values()].filter((s): s is Complete =>
    Boolean(s.verify && s.list && s.stop && s.stopMix),
  )
  const rows = HOPS.map(([name, of]) => {
    const ms = complete.map(of).sort((a, b) => a - b)
    const cells = [50, 90, 99].map((p) => Math.round(percentile(ms, p)))
    return `| ${name} | ${cells.join(' | ')} | ${ms.at(-1) ?? '–'} |`
  })
  // A stop its first list could not confirm (a sweep's list before its close was known, a list taken
  // before its grace ended) waits for ZEGO's 10 s per room.
  const relisted = complete.filter((s) => s.lists > 1).length
  return [
    `stops in the reconciler's log, ${complete.length} of ${stops.size} with every hop (ms); ${relisted} needed a second room list:`,
    '| hop | p50 | p90 | p99 | max |',
    '| --- | ---: | ---: | ---: | ---: |',
    ...rows,
  ].join('\n')
}
