import type { SavingsReport } from './savings.ts'

const iso = (ms: number) => new Date(ms).toISOString()
const seconds = (s: number) => `${s.toFixed(1)} s`
const counts = (byReason: Record<string, number>) =>
  Object.entries(byReason)
    .map(([reason, n]) => `${reason} ${n}`)
    .join(', ')

/** The report as plain text: per app, then the model it rests on. */
export function reportText(report: SavingsReport): string {
  const lines = [`Mixguard savings from ${iso(report.since)} to ${iso(report.until)}`, '']
  if (report.apps.length === 0)
    lines.push('No task was stopped or would have been stopped in this window.', '')
  for (const app of report.apps) {
    const stopped = app.tasks.length
    lines.push(
      `app ${app.appId}: ${stopped} task(s) stopped${stopped > 0 ? ` (${counts(app.stoppedByReason)})` : ''}; ${seconds(app.avoidedSec)} of mix time avoided`,
    )
    if (Object.keys(app.wouldStopByReason).length > 0)
      lines.push(`  dry run: would have stopped ${counts(app.wouldStopByReason)}`)
    for (const task of app.tasks) {
      const until =
        task.zegoWouldEndAt !== null
          ? `ZEGO alone until ${iso(task.zegoWouldEndAt)}`
          : task.ongoing
            ? 'ZEGO alone: still running'
            : 'not estimated'
      lines.push(
        `  ${task.taskId}  ${task.reason} (${task.rule ?? 'no rule'})  stopped ${iso(task.stoppedAt)}  ${until}  avoided ${seconds(task.avoidedSec)}${task.note ? `  — ${task.note}` : ''}`,
      )
    }
    lines.push('')
  }
  lines.push(`Total: ${seconds(report.totalAvoidedSec)} of mix time avoided.`, '', 'Model:')
  for (const line of report.model) lines.push(`  - ${line}`)
  return `${lines.join('\n')}\n`
}
