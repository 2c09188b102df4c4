// Ingest's own view of a load window, from its /metrics (each worker's admin listener): how long a
// callback spent inside ingest (from its headers to its answer: mean, and the histogram bucket its p99
// falls in), and the Kafka sends in that time. Set beside the load generator's latency, it says where
// a callback waited: in ingest (mostly Kafka round trips: one batch in flight, the next one waits for
// it) or in front of it (a process at capacity, the accept queue, a starved driver).
import type { Row } from './row.ts'

export interface IngestStages {
  callbacks: number
  callbackSeconds: number
  sends: number
  sendSeconds: number
  /** Callbacks answered within each bucket's bound (seconds, cumulative, every outcome). */
  callbackBuckets: Map<number, number>
}

const WANTED = {
  callbacks: /^mixguard_ingest_request_duration_seconds_count\{[^}]*route="callback"/,
  callbackSeconds: /^mixguard_ingest_request_duration_seconds_sum\{[^}]*route="callback"/,
  sends: /^mixguard_ingest_produce_duration_seconds_count[{ ]/,
  sendSeconds: /^mixguard_ingest_produce_duration_seconds_sum[{ ]/,
} as const
const CALLBACK_BUCKET =
  /^mixguard_ingest_request_duration_seconds_bucket\{(?=[^}]*route="callback")[^}]*le="([^"]+)"/

/** The totals so far, summed over the admin listeners at `adminUrls`. */
export async function readIngestStages(adminUrls: readonly string[]): Promise<IngestStages> {
  const stages = noStages()
  for (const url of adminUrls) addIngestStages(stages, await (await fetch(`${url}/metrics`)).text())
  return stages
}

export function noStages(): IngestStages {
  return { callbacks: 0, callbackSeconds: 0, sends: 0, sendSeconds: 0, callbackBuckets: new Map() }
}

/** Adds one listener's metrics text (Prometheus exposition) to `stages`. */
export function addIngestStages(stages: IngestStages, metricsText: string): void {
  for (const line of metricsText.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1))
    for (const [field, pattern] of Object.entries(WANTED) as [keyof typeof WANTED, RegExp][])
      if (pattern.test(line)) stages[field] += value
    const bucket = CALLBACK_BUCKET.exec(line)
    if (bucket !== null) {
      const le = bucket[1] === '+Inf' ? Number.POSITIVE_INFINITY : Number(bucket[1])
      stages.callbackBuckets.set(le, (stages.callbackBuckets.get(le) ?? 0) + value)
    }
  }
}

/** The window between two readings, as a row's extra columns. */
export function stagesExtra(from: IngestStages, to: IngestStages): Row['extra'] {
  const callbacks = to.callbacks - from.callbacks
  const sends = to.sends - from.sends
  if (callbacks === 0 || sends === 0) return {}
  const ms = (seconds: number, count: number) => Math.round((1000 * seconds) / count)
  const p99 = bucketBound(from, to, 0.99)
  return {
    'in ingest ms/callback (mean)': ms(to.callbackSeconds - from.callbackSeconds, callbacks),
    ...(p99 === null
      ? {}
      : { 'in ingest p99 ms': p99 === Number.POSITIVE_INFINITY ? '> 10,000' : `≤ ${p99 * 1000}` }),
    'Kafka ms/send': ms(to.sendSeconds - from.sendSeconds, sends),
    'records/send': Math.round(callbacks / sends),
  }
}

/** The smallest bucket bound (seconds) within which `share` of the window's callbacks were answered. */
function bucketBound(from: IngestStages, to: IngestStages, share: number): number | null {
  const bounds = [...to.callbackBuckets.keys()].sort((a, b) => a - b)
  const total =
    (to.callbackBuckets.get(Number.POSITIVE_INFINITY) ?? 0) -
    (from.callbackBuckets.get(Number.POSITIVE_INFINITY) ?? 0)
  if (total <= 0) return null
  for (const le of bounds) {
    const within = (to.callbackBuckets.get(le) ?? 0) - (from.callbackBuckets.get(le) ?? 0)
    if (within >= share * total) return le
  }
  return null
}
