import { packageVersion, registerStandardMetrics } from '@mixguard/service-kit'
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import type { NonceStoreStatus } from './nonce-store.ts'
import type { PublisherEvent, PublisherStatus } from './publisher.ts'

export interface MetricSources {
  publisher: () => PublisherStatus
  nonceStore: () => NonceStoreStatus
  inFlight: () => number
}

export type Route = 'callback' | 'passthrough'

/** One registry per ingest instance (no globals), so tests and several instances never share counts. */
export interface IngestMetrics {
  registry: Registry
  request(route: Route, event: string, outcome: string, seconds: number): void
  shed(route: Route): void
  recordLost(source: string): void
  /** A nonce-store command that failed or timed out (the callback was answered 503). */
  nonceStoreFailed(operation: 'claim' | 'settle'): void
  publisherEvent(event: PublisherEvent): void
}

const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

export function createMetrics(sources: MetricSources): IngestMetrics {
  const registry = new Registry()
  registerStandardMetrics(registry, 'ingest', packageVersion(import.meta.url))
  const registers = [registry]
  /** A gauge read from its source at scrape time. */
  const sampled = (name: string, help: string, read: () => number): void => {
    new Gauge({
      name,
      help,
      registers,
      collect() {
        this.set(read())
      },
    })
  }
  const requests = new Counter({
    name: 'mixguard_ingest_requests_total',
    help: 'Requests by route, event (callback event or API Action) and outcome',
    labelNames: ['route', 'event', 'outcome'] as const,
    registers,
  })
  const latency = new Histogram({
    name: 'mixguard_ingest_request_duration_seconds',
    help: 'Time from request to answer; for callbacks this includes making the record durable',
    labelNames: ['route', 'outcome'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const shed = new Counter({
    name: 'mixguard_ingest_shed_total',
    help: 'Requests answered 503 because the concurrency cap was reached',
    labelNames: ['route'] as const,
    registers,
  })
  const lost = new Counter({
    name: 'mixguard_ingest_record_failures_total',
    help: 'Records that could not be stored at all (neither Kafka nor spool); the passthrough answer went out anyway',
    labelNames: ['source'] as const,
    registers,
  })
  const produce = new Histogram({
    name: 'mixguard_ingest_produce_duration_seconds',
    help: 'Kafka batch sends (acks = all), direct or draining the spool',
    labelNames: ['path', 'result'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  })
  const setAside = new Counter({
    name: 'mixguard_ingest_records_set_aside_total',
    help: 'Records Kafka can never take (too large, refused), moved to the dead-letter topic or the quarantine file instead',
    labelNames: ['where', 'reason', 'path'] as const,
    registers,
  })
  const records = new Counter({
    name: 'mixguard_ingest_records_total',
    help: 'Records made durable, by where',
    labelNames: ['destination'] as const,
    registers,
  })
  sampled('mixguard_ingest_kafka_up', '1 while Kafka takes records directly', () =>
    sources.publisher().kafkaUp ? 1 : 0,
  )
  sampled(
    'mixguard_ingest_spool_records',
    'Records in the spool waiting for Kafka',
    () => sources.publisher().spool.records,
  )
  sampled(
    'mixguard_ingest_spool_bytes',
    'Bytes in the spool waiting for Kafka',
    () => sources.publisher().spool.bytes,
  )
  sampled(
    'mixguard_ingest_spool_max_bytes',
    'Spool bound; at it, callbacks are answered 503',
    () => sources.publisher().spool.maxBytes,
  )
  sampled(
    'mixguard_ingest_nonce_cache_entries',
    'Signatures remembered for replay detection (the in-memory store; 0 with Redis)',
    () => sources.nonceStore().entries ?? 0,
  )
  sampled(
    'mixguard_ingest_nonce_store_up',
    '1 while the nonce store answers (always, in memory); at 0 callbacks are answered 503',
    () => (sources.nonceStore().up ? 1 : 0),
  )
  const nonceStoreErrors = new Counter({
    name: 'mixguard_ingest_nonce_store_errors_total',
    help: 'Nonce-store commands that failed or timed out, by operation (claim: the callback was answered 503)',
    labelNames: ['operation'] as const,
    registers,
  })
  let evictionsCounted = 0
  new Counter({
    name: 'mixguard_ingest_nonce_cache_evictions_total',
    help: 'Signatures forgotten before their freshness window ended because the cache was full',
    registers,
    collect() {
      const { evictions } = sources.nonceStore()
      this.inc(Math.max(0, evictions - evictionsCounted))
      evictionsCounted = evictions
    },
  })
  sampled('mixguard_ingest_in_flight_requests', 'Callback and passthrough requests being handled', () =>
    sources.inFlight(),
  )

  return {
    registry,
    request(route, event, outcome, seconds) {
      requests.inc({ route, event, outcome })
      latency.observe({ route, outcome }, seconds)
    },
    shed: (route) => shed.inc({ route }),
    recordLost: (source) => lost.inc({ source }),
    nonceStoreFailed: (operation) => nonceStoreErrors.inc({ operation }),
    publisherEvent(event) {
      switch (event.type) {
        case 'produced':
          produce.observe({ path: 'direct', result: 'ok' }, event.ms / 1000)
          records.inc({ destination: 'kafka' }, event.records)
          return
        case 'produce_failed':
          produce.observe({ path: 'direct', result: 'failed' }, event.ms / 1000)
          return
        case 'drained':
          produce.observe({ path: 'drain', result: 'ok' }, event.ms / 1000)
          records.inc({ destination: 'kafka_from_spool' }, event.records)
          return
        case 'spooled':
          records.inc({ destination: 'spool' }, event.records)
          return
        case 'set_aside':
          setAside.inc({ where: event.where, reason: event.rejection.code, path: event.path })
          return
        case 'kafka_up':
        case 'kafka_down':
        case 'kafka_retry':
          return
        default:
          return event satisfies never
      }
    },
  }
}
