import { createServer, type Server, type ServerOptions } from 'node:http'
import type { AddressInfo } from 'node:net'
import { assertNever, topicName } from '@mixguard/contracts'
import { createKafka, type KafkaLogSink } from '@mixguard/kafka'
import { type Clock, systemClock, systemTimers, type Timers } from '@mixguard/time'
import { type Logger, pino } from 'pino'
import { Agent, type Dispatcher } from 'undici'
import { createAdminApp } from './admin-app.ts'
import { createApp } from './app.ts'
import type { HttpTimeouts, IngestConfig } from './config.ts'
import { createKafkaLink, type KafkaLink } from './kafka-link.ts'
import { ingestPreflight, ingestTopics } from './kafka-preflight.ts'
import { createMemoryNonceStore } from './memory-nonce-store.ts'
import { createMetrics, type IngestMetrics } from './metrics.ts'
import type { NonceStore } from './nonce-store.ts'
import { createPublisher, type PublisherEvent, type PublisherStatus } from './publisher.ts'
import { createRedisNonceStore, type RedisNonceStoreEvent } from './redis-nonce-store.ts'
import { openSpool } from './spool.ts'

export interface IngestDeps {
  /** Default: pino JSON on stdout at the configured level. */
  logger?: Logger
  clock?: Clock
  timers?: Timers
  /** Network for the passthrough; default a private undici Agent. */
  dispatcher?: Dispatcher
  /** Kafka as the publisher sees it; default a kafkajs idempotent producer on `config.kafka.brokers`. */
  kafkaLink?: KafkaLink
  /** How long start-up waits for Kafka before serving from the spool. Default 5000 ms. */
  kafkaStartWaitMs?: number
  /** How long start-up waits for Redis (the Redis nonce store) before serving (503s until it is up). Default 5000 ms. */
  nonceStoreStartWaitMs?: number
}

export interface RunningIngest {
  url: string
  port: number
  /** The admin listener's base URL (/metrics). */
  adminUrl: string
  status(): PublisherStatus
  /** Readiness fails from now on while requests are still served: the load balancer's cue to stop sending. */
  drain(): void
  /**
   * Stops accepting, lets in-flight requests finish, flushes the producer and drains the spool while
   * Kafka takes it, all within `config.shutdownTimeoutMs`. Records still spooled stay for the next start.
   */
  close(): Promise<{ spooled: number }>
}

/** Composes and starts ingest: spool, Kafka publisher, HTTP server. */
export async function startIngest(config: IngestConfig, deps: IngestDeps = {}): Promise<RunningIngest> {
  const logger = deps.logger ?? pino({ level: config.logLevel, base: { service: 'ingest' } })
  const clock = deps.clock ?? systemClock
  const timers = deps.timers ?? systemTimers
  const ownDispatcher = deps.dispatcher === undefined ? new Agent({ keepAliveTimeout: 4_000 }) : null
  const dispatcher = deps.dispatcher ?? (ownDispatcher as Agent)
  const prefix = config.kafka.topicPrefix
  const topics = { events: topicName('events', prefix), deadLetter: topicName('dead-letter', prefix) }

  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    log: kafkaLogSink(logger.child({ component: 'kafkajs' })),
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 },
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: Math.max(config.kafka.sendTimeoutMs, 5_000),
    security: config.kafkaAccess.security,
  })
  if (deps.kafkaLink === undefined) {
    const preflight = await ingestPreflight(kafka, config)
    if (preflight.checked) for (const warning of preflight.warnings) logger.warn(warning)
    else
      logger.warn({ err: preflight.error }, 'Kafka is not reachable at start: topics are checked when it is')
  }

  const { spool, recovery } = await openSpool({ dir: config.spool.dir, maxBytes: config.spool.maxBytes })
  if (recovery.records > 0 || recovery.truncatedBytes > 0) {
    logger.warn(
      { spool: config.spool.dir, ...recovery },
      'spool holds records from an earlier run; draining them first',
    )
  }

  const link =
    deps.kafkaLink ??
    createKafkaLink({
      kafka,
      // With creation off the operator owns the topics: the link never creates them.
      topics: config.kafkaAccess.topics.create ? ingestTopics(config) : [],
      ackTimeoutMs: config.kafka.sendTimeoutMs,
    })

  // The metrics are created below; the store reports to them through this.
  let metricsReady: IngestMetrics | null = null
  const nonces = createNonceStoreFor(config, clock, logger.child({ component: 'nonce-store' }), (op) =>
    metricsReady?.nonceStoreFailed(op),
  )
  const inFlight = { count: 0, onIdle: () => {} }
  // The metrics read the publisher lazily; it is created right below.
  let publisherStatus: () => PublisherStatus = () => ({
    kafkaUp: false,
    spool: { ...spool.depth(), maxBytes: spool.maxBytes },
    queued: 0,
  })
  const metrics = createMetrics({
    publisher: () => publisherStatus(),
    nonceStore: () => nonces.status(),
    inFlight: () => inFlight.count,
  })
  metricsReady = metrics
  const publisherLog = logger.child({ component: 'publisher' })
  const publisher = createPublisher({
    link,
    spool,
    clock,
    timers,
    lingerMs: config.kafka.lingerMs,
    maxBatchRecords: config.kafka.maxBatchRecords,
    maxBatchBytes: config.kafka.maxBatchBytes,
    deadLetterTopic: topics.deadLetter,
    sendTimeoutMs: config.kafka.sendTimeoutMs,
    onEvent: (event) => {
      metrics.publisherEvent(event)
      logPublisherEvent(publisherLog, event)
    },
  })
  publisherStatus = () => publisher.status()

  let shuttingDown = false
  let draining = false
  const app = createApp({
    callbackPath: config.callbackPath,
    passthroughPath: config.passthroughPath,
    limits: {
      callbackBodyBytes: config.bodyLimitBytes,
      passthroughBodyBytes: config.passthroughBodyLimitBytes,
      callbackConcurrency: config.maxConcurrentRequests,
      passthroughConcurrency: config.maxConcurrentPassthrough,
    },
    clock,
    logger,
    metrics,
    publisher,
    callback: {
      apps: config.apps,
      clock,
      freshnessWindowMs: config.freshnessWindowMs,
      nonces,
      publisher,
      topics,
    },
    passthrough: {
      baseUrl: config.zegoApi.baseUrl,
      dispatcher,
      timeoutMs: config.zegoApi.timeoutMs,
      answerLimitBytes: config.passthroughAnswerLimitBytes,
      clock,
      apps: config.apps,
      publisher,
      eventsTopic: topics.events,
      onRecordLost: (error, action, appId) => {
        metrics.recordLost('passthrough')
        logger.error(
          { err: error, action, appId },
          'a mix API call could not be recorded (neither Kafka nor spool took it)',
        )
      },
    },
    shuttingDown: () => shuttingDown,
    draining: () => draining,
    inFlight,
  })

  publisher.start()
  if (!(await publisher.whenUp(deps.kafkaStartWaitMs ?? 5_000))) {
    logger.warn(
      { brokers: config.kafka.brokers },
      'Kafka is not reachable yet: callbacks go to the spool until it is',
    )
  }

  if (nonces.whenUp !== undefined && !(await nonces.whenUp(deps.nonceStoreStartWaitMs ?? 5_000)))
    logger.warn('Redis (the nonce store) is not reachable yet: callbacks are answered 503 until it is')

  const server = createServer(serverOptions(config.http), app)
  server.keepAliveTimeout = config.http.keepAliveTimeoutMs
  const admin = createServer(createAdminApp(metrics))
  let url: string
  let adminUrl: string
  try {
    url = await listen(server, config.port, config.host)
    // Exclusive: in a worker (INGEST_WORKERS), /metrics is this worker's own, never a shared port's.
    adminUrl = await listen(admin, config.admin.port, config.admin.host, true)
  } catch (error) {
    server.close()
    await publisher.close(clock.now())
    await nonces.close()
    throw error
  }
  const port = (server.address() as AddressInfo).port
  logger.info(
    {
      url,
      adminUrl,
      callbackPath: config.callbackPath,
      passthroughPath: config.passthroughPath,
      apps: config.apps.ids(),
    },
    'ingest listening',
  )
  const unverifiable = config.apps.ids().filter((id) => config.apps.get(id)?.serverSecret === null)
  if (unverifiable.length > 0) {
    logger.warn(
      { apps: unverifiable },
      "no server secret for these apps: their passthrough calls are forwarded but never recorded, so the reconciler does not learn their tasks' inputs",
    )
  }

  let closing: Promise<{ spooled: number }> | null = null
  const close = async (): Promise<{ spooled: number }> => {
    const deadline = clock.now() + config.shutdownTimeoutMs
    shuttingDown = true
    const stopped = new Promise<void>((resolve) => server.close(() => resolve()))
    server.closeIdleConnections()
    // In-flight requests finish (their records become durable) before the producer is flushed.
    await new Promise<void>((resolve) => {
      const timer = timers.setTimeout(resolve, Math.max(0, deadline - clock.now()))
      inFlight.onIdle = () => {
        timers.clearTimeout(timer)
        resolve()
      }
      if (inFlight.count === 0) inFlight.onIdle()
    })
    server.closeAllConnections()
    await stopped
    admin.closeAllConnections()
    await new Promise<void>((resolve) => admin.close(() => resolve()))
    const result = await publisher.close(deadline)
    await nonces.close()
    await ownDispatcher?.close()
    logger.info(
      result,
      result.spooled > 0 ? 'ingest stopped; records stay spooled for the next start' : 'ingest stopped',
    )
    return result
  }

  return {
    url,
    port,
    adminUrl,
    status: () => publisher.status(),
    drain: () => {
      draining = true
    },
    close: () => {
      closing ??= close()
      return closing
    },
  }
}

function listen(server: Server, port: number, host: string, exclusive = false): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    server.once('error', reject)
    server.listen({ port, host, exclusive }, () => {
      server.off('error', reject)
      const bound = (server.address() as AddressInfo).port
      const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host
      resolve(`http://${shown.includes(':') ? `[${shown}]` : shown}:${bound}`)
    })
  })
}

function createNonceStoreFor(
  config: IngestConfig,
  clock: Clock,
  log: Logger,
  failed: (operation: 'claim' | 'settle') => void,
): NonceStore & { whenUp?: (ms: number) => Promise<boolean> } {
  const store = config.nonceStore
  switch (store.kind) {
    case 'memory':
      return createMemoryNonceStore({ clock, maxEntries: store.maxEntries })
    case 'redis': {
      let failures = 0
      return createRedisNonceStore({
        url: store.url.reveal(),
        password: store.password?.reveal() ?? null,
        timeoutMs: store.timeoutMs,
        keyPrefix: store.keyPrefix,
        clock,
        // A claim pending longer than a callback request may take was left by a replica that died.
        takeoverMs: Math.max(config.http.requestTimeoutMs, config.kafka.sendTimeoutMs * 2),
        onEvent: (event: RedisNonceStoreEvent) => {
          switch (event.type) {
            case 'up':
              failures = 0
              log.info('Redis (the nonce store) is up')
              return
            case 'down':
              log.warn(
                { err: event.error ?? undefined },
                'Redis (the nonce store) is unreachable: callbacks are answered 503',
              )
              return
            case 'failed':
              failed(event.operation)
              failures += 1
              // First failure and then every doubling, so an outage is visible but not a flood.
              if ((failures & (failures - 1)) === 0)
                log.warn(
                  { operation: event.operation, failures, err: event.error },
                  'a nonce-store command failed: the callback was answered 503',
                )
              return
            default:
              return event satisfies never
          }
        },
      })
    }
    default:
      return store satisfies never
  }
}

/**
 * Node checks the header and request timeouts on a timer (30 s by default, which would stretch a
 * 15 s timeout to 45 s): check at a quarter of the shorter one, at most every second.
 */
function serverOptions(http: HttpTimeouts): ServerOptions {
  return {
    headersTimeout: http.headersTimeoutMs,
    requestTimeout: http.requestTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(http.headersTimeoutMs / 4))),
  }
}

function kafkaLogSink(log: Logger): KafkaLogSink {
  return (level, message, fields) => {
    // kafkajs reports every failed connection as an error; the publisher handles them, so they are warnings here.
    const at = level === 'error' ? 'warn' : level === 'info' ? 'debug' : level
    log[at]({ ...fields }, message)
  }
}

function logPublisherEvent(log: Logger, event: PublisherEvent): void {
  switch (event.type) {
    case 'kafka_up':
      log.info('Kafka is up')
      break
    case 'kafka_down':
      log.warn({ err: event.error }, 'Kafka is unreachable: records go to the spool')
      break
    case 'kafka_retry':
      // First failure and then every doubling, so an outage is visible but not a flood.
      if ((event.attempt & (event.attempt - 1)) === 0) {
        log.warn({ attempt: event.attempt, err: event.error }, 'Kafka still unreachable')
      }
      break
    case 'produce_failed':
      log.warn({ records: event.records, ms: event.ms, err: event.error }, 'Kafka send failed; batch spooled')
      break
    case 'drained':
      log.debug({ records: event.records, ms: event.ms }, 'drained spool to Kafka')
      break
    case 'set_aside':
      // Never the payload: it may hold anything a caller sent.
      log[event.where === 'quarantine' ? 'error' : 'warn'](
        {
          where: event.where,
          path: event.path,
          topic: event.topic,
          key: event.key,
          bytes: event.bytes,
          reason: event.rejection.code,
          detail: event.rejection.detail,
          ...(event.error === undefined ? {} : { err: event.error }),
        },
        event.where === 'quarantine'
          ? 'Kafka refused a record and its dead-letter record; the record is in the quarantine file'
          : 'Kafka can never take a record; it went to the dead-letter topic instead',
      )
      break
    case 'produced':
    case 'spooled':
      break
    default:
      assertNever(event)
  }
}
