// Ingest's own view of a load window, from its /metrics (each worker's admin listener): how long a
// callback spent inside ingest (from its headers to its answer), and the Kafka sends in that time. Set
// beside the load generator's latency, it says where a callback waited: in ingest (mostly Kafka round
// trips: one batch in flight, the next one waits for it) or in front of it (a process at capacity).
import type { Row } from './row.ts'

export interface IngestStages {
  callbacks: number
  callbackSeconds: number
  sends: number
  sendSeconds: number
}

const WANTED = {
  callbacks: /^mixguard_ingest_request_duration_seconds_count\{[^}]*route="callback"/,
  callbackSeconds: /^mixguard_ingest_request_duration_seconds_sum\{[^}]*route="callback"/,
  sends: /^mixguard_ingest_produce_duration_seconds_count[{ ]/,
  sendSeconds: /^mixguard_ingest_produce_duration_seconds_sum[{ ]/,
} as const

/** The totals so far, summed over the admin listeners at `adminUrls`. */
export async function readIngestStages(adminUrls: readonly string[]): Promise<IngestStages> {
  const stages: IngestStages = { callbacks: 0, callbackSeconds: 0, sends: 0, sendSeconds: 0 }
  for (const url of adminUrls) {
    const text = await (await fetch(`${url}/metrics`)).text()
    for (const line of text.split('\n')) {
      for (const [field, pattern] of Object.entries(WANTED) as [keyof IngestStages, RegExp][])
        if (pattern.test(line)) stages[field] += Number(line.slice(line.lastIndexOf(' ') + 1))
    }
  }
  return stages
}

/** The window between two readings, as a row's extra columns. */
export function stagesExtra(from: IngestStages, to: IngestStages): Row['extra'] {
  const callbacks = to.callbacks - from.callbacks
  const sends = to.sends - from.sends
  if (callbacks === 0 || sends === 0) return {}
  const ms = (seconds: number, count: number) => Math.round((1000 * seconds) / count)
  return {
    'in ingest ms/callback (mean)': ms(to.callbackSeconds - from.callbackSeconds, callbacks),
    'Kafka ms/send': ms(to.sendSeconds - from.sendSeconds, sends),
    'records/send': Math.round(callbacks / sends),
  }
}
