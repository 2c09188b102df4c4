import { escapeXml as esc, savingsSvg } from '@mixguard/ops'
import type { AppView, InputView, StatusView } from './status-view.ts'

const iso = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19)

/** "in 1 min 05 s" / "overdue 3 s": deadlines count down with each refresh. */
function countdown(at: number, now: number): string {
  const ms = at - now
  const s = Math.round(Math.abs(ms) / 1000)
  const text = s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s` : `${s} s`
  return ms >= 0 ? `in ${text}` : `overdue ${text}`
}

function input(i: InputView, now: number): string {
  const state = i.live === null ? 'unknown (counts as live)' : i.live ? 'live' : 'gone'
  const since =
    i.since === null ? '' : ` ${i.live ? 'since' : 'for'} ${countdown(i.since, now).replace(/^overdue /, '')}`
  return `<span class="${i.live === false ? 'gone' : 'live'}">${esc(i.ref)}: ${state}${i.live === false ? since : ''}</span>`
}

function appSection(app: AppView, now: number): string {
  const tasks =
    app.tasks.length === 0
      ? '<p>No running task.</p>'
      : `<table><thead><tr><th>task</th><th>phase</th><th>room</th><th>initiator</th><th>inputs</th><th>note</th></tr></thead><tbody>${app.tasks
          .map(
            (t) =>
              `<tr><td>${esc(t.taskId)}</td><td>${esc(t.phase)}</td><td>${esc(t.roomId ?? '?')}</td><td>${esc(t.userId ?? '?')}</td><td>${
                t.inputs === null
                  ? 'unknown (no StartMix seen)'
                  : t.inputs.map((i) => input(i, now)).join('<br>')
              }</td><td>${esc([t.supersededBy ? `superseded by ${t.supersededBy}` : '', t.problem ?? ''].filter(Boolean).join('; '))}</td></tr>`,
          )
          .join('')}</tbody></table>`
  const deadlines =
    app.deadlines.length === 0
      ? '<p>No deadline armed.</p>'
      : `<table><thead><tr><th>task</th><th>deadline</th><th>at</th><th>when</th></tr></thead><tbody>${app.deadlines
          .map(
            (d) =>
              `<tr><td>${esc(d.taskId)}</td><td>${esc(d.what)}</td><td>${iso(d.at)}</td><td class="countdown">${countdown(d.at, now)}</td></tr>`,
          )
          .join('')}</tbody></table>`
  const b = app.budget
  return `<section id="app-${app.appId}"><h2>App ${app.appId}${app.dryRun ? ' <small>(dry run)</small>' : ''}</h2>
${app.owned ? '' : '<p>Owned by another reconciler of the group: its tasks are not shown here.</p>'}
<p>ZEGO budget: ${b.callsLastMinute} call(s) in the last minute, limit ${b.limitPerSecond}/s, ${b.waiting} waiting.</p>
<h3>Running tasks</h3>${tasks}<h3>Armed deadlines</h3>${deadlines}</section>`
}

/** The read-only status page: plain server-rendered HTML that refreshes itself every 5 s, no script. */
export function statusPage(view: StatusView): string {
  const { now } = view
  const decisions = view.decisions
    .map(
      (d) =>
        `<tr><td>${iso(d.decidedAt)}</td><td>${d.appId}</td><td>${esc(d.taskId)}</td><td>${d.action}</td><td>${d.reason}</td><td>${esc(d.rule ?? '')}</td><td>${esc(d.evidence.supersededBy ? `by ${d.evidence.supersededBy}` : (d.evidence.note ?? ''))}</td><td><code>${d.id.slice(0, 12)}</code></td></tr>`,
    )
    .join('')
  const outcomes = view.outcomes
    .map(
      (o) =>
        `<tr><td>${iso(o.at)}</td><td>${o.appId}</td><td>${esc(o.taskId)}</td><td>${o.action}</td><td>${o.result}</td><td>${o.zegoCode ?? ''}${o.errorCode ? ` ${esc(o.errorCode)}` : ''}</td><td>${o.attempt}</td><td><code>${o.decisionId.slice(0, 12)}</code></td></tr>`,
    )
    .join('')
  const s = view.savings
  const savings = s.report
    ? `<p>${s.report.totalAvoidedSec.toFixed(1)} mix-seconds avoided in the last 24 h (as of ${iso(s.at ?? now)}; ${s.report.apps
        .map((a) => `app ${a.appId}: ${a.tasks.length} stopped, ${a.avoidedSec.toFixed(1)} s`)
        .join('; ')}).</p>${savingsSvg(s.report)}<p class="model">${esc(s.report.model.join(' '))}</p>`
    : `<p>Savings not available yet${s.error ? `: ${esc(s.error)}` : ''}.</p>`
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>Mixguard reconciler status</title>
<style>
body{font:14px system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;margin:.5em 0}
td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}th{background:#f2f2f2}
.gone{color:#a33}.live{color:#2f7d4f}.model{color:#666;font-size:12px;max-width:60em}section{margin-bottom:1.5em}
</style></head><body>
<h1>Mixguard reconciler</h1><p>Status at ${iso(now)} (refreshes every 5 s; read-only).</p>
${view.apps.map((a) => appSection(a, now)).join('\n')}
<h2>Recent decisions</h2>${decisions ? `<table><thead><tr><th>at</th><th>app</th><th>task</th><th>action</th><th>reason</th><th>rule</th><th>evidence</th><th>id</th></tr></thead><tbody>${decisions}</tbody></table>` : '<p>None yet.</p>'}
<h2>Recent outcomes</h2>${outcomes ? `<table><thead><tr><th>at</th><th>app</th><th>task</th><th>call</th><th>result</th><th>code</th><th>attempt</th><th>decision</th></tr></thead><tbody>${outcomes}</tbody></table>` : '<p>None yet.</p>'}
<h2>Savings</h2>${savings}
</body></html>
`
}
