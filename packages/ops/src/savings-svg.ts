import { escapeXml } from './escape-xml.ts'
import type { SavingsReport } from './savings.ts'

const WIDTH = 640
const HEIGHT = 240
const PAD = { left: 56, right: 16, top: 28, bottom: 36 }
const BUCKETS = 24

/** Avoided mix-seconds per time bucket (by stop time) as a standalone SVG bar chart, no script. */
export function savingsSvg(report: SavingsReport): string {
  const span = Math.max(1, report.until - report.since)
  const bucketMs = span / BUCKETS
  const buckets = new Array<number>(BUCKETS).fill(0)
  for (const app of report.apps)
    for (const task of app.tasks) {
      const i = Math.min(BUCKETS - 1, Math.max(0, Math.floor((task.stoppedAt - report.since) / bucketMs)))
      buckets[i] = (buckets[i] ?? 0) + task.avoidedSec
    }
  const top = Math.max(1, ...buckets)
  const plotW = WIDTH - PAD.left - PAD.right
  const plotH = HEIGHT - PAD.top - PAD.bottom
  const barW = plotW / BUCKETS
  const bars = buckets
    .map((value, i) => {
      const h = (value / top) * plotH
      const x = PAD.left + i * barW + 1
      const y = PAD.top + plotH - h
      const from = new Date(report.since + i * bucketMs).toISOString()
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(barW - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#2f7d4f"><title>${escapeXml(`${from}: ${value.toFixed(1)} s avoided`)}</title></rect>`
    })
    .join('')
  const label = (x: number, y: number, text: string, anchor = 'start') =>
    `<text x="${x}" y="${y}" font-size="11" text-anchor="${anchor}" fill="#333">${escapeXml(text)}</text>`
  const title = `Mix-seconds avoided: ${report.totalAvoidedSec.toFixed(1)} s in total`
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-label="${escapeXml(title)}">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>`,
    label(PAD.left, 18, title),
    `<line x1="${PAD.left}" y1="${PAD.top + plotH}" x2="${WIDTH - PAD.right}" y2="${PAD.top + plotH}" stroke="#999"/>`,
    `<line x1="${PAD.left}" y1="${PAD.top}" x2="${PAD.left}" y2="${PAD.top + plotH}" stroke="#999"/>`,
    label(PAD.left - 6, PAD.top + 10, `${top.toFixed(0)} s`, 'end'),
    label(PAD.left - 6, PAD.top + plotH, '0', 'end'),
    bars,
    label(PAD.left, HEIGHT - 10, new Date(report.since).toISOString().slice(0, 16).replace('T', ' ')),
    label(
      WIDTH - PAD.right,
      HEIGHT - 10,
      new Date(report.until).toISOString().slice(0, 16).replace('T', ' '),
      'end',
    ),
    '</svg>',
  ].join('\n')
}
