import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  appKey,
  deadLetterRecordMetadata,
  decisionRecordMetadata,
  encodeDeadLetter,
  encodeDecision,
  encodeOutcome,
  outcomeRecordMetadata,
  topicName,
} from '@mixguard/contracts'
import { createIdempotentProducer, createKafka, type KafkaLogSink, preflightKafka } from '@mixguard/kafka'
import { readHistory, savingsReport } from '@mixguard/ops'
import { type Clock, retry, systemClock, systemTimers, type Timers } from '@mixguard/time'
import { type CallBudget, createCallBudget, createZegoClient, type ZegoClient } from '@mixguard/zego-api'
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import { createCoalescedProducer } from './adapters/coalesced-producer.ts'
import { createExecutor } from './adapters/executor.ts'
import { createKafkaSource, type KafkaSource } from './adapters/kafka-source.ts'
import { createKafkaStateStore, inOneStep } from './adapters/state-store.ts'
import type { ReconcilerConfig } from './config.ts'
import { parseAppState, storedStateSteps, storedStateV1 } from './core/index.ts'
import { type ConsumerHealth, liveness, readiness } from './health.ts'
import { createHttpApp } from './http.ts'
import { reconcilerPreflight } from './kafka-preflight.ts'
import { decisionLogFields, outcomeLogFields } from './log-fields.ts'
import { createMetrics, type ReconcilerMetrics } from './metrics.ts'
import { RecentLog } from './recent-log.ts'
import { RETRY_BACKOFF } from './retry-backoff.ts'
import { createSavingsCache } from './savings-cache.ts'
import { Shell } from './shell.ts'
import { createStatusSource } from './status-source.ts'

export interface ReconcilerDeps {
  log: Logger
  /** Time for decisions and deadlines (a simulator's accelerated clock in tests). */
  clock?: Clock
  timers?: Timers
  /** Network for ZEGO calls. */
  dispatcher?: Dispatcher
  /** One budget for everything in the process that calls ZEGO. */
  budget?: CallBudget
}

export interface RunningReconciler {
  url: string
  port: number
  metrics: ReconcilerMetrics
  shell: Shell
  assigned(): number[]
  /** Graceful: stop answering, leave the group (committing what is done), finish or hand back calls in flight. */
  close(): Promise<void>
  /** Resolves with the error if the consumer stopped for good (the process should close and exit). */
  fatal: Promise<unknown>
}

export async function startReconciler(
  config: ReconcilerConfig,
  deps: ReconcilerDeps,
): Promise<RunningReconciler> {
  const { log } = deps
  const clock = deps.clock ?? systemClock
  const timers = deps.timers ?? systemTimers
  const metrics = createMetrics()
  const kafkaLog: KafkaLogSink = (level, message, fields) => log[level]({ kafka: fields }, message)
  const kafka = createKafka({
    brokers: config.kafka.brokers,
    clientId: config.kafka.clientId,
    log: kafkaLog,
    security: config.kafkaAccess.security,
  })
  const topics = {
    events: topicName('events', config.kafka.topicPrefix),
    decisions: topicName('decisions', config.kafka.topicPrefix),
    outcomes: topicName('outcomes', config.kafka.topicPrefix),
    deadLetter: topicName('dead-letter', config.kafka.topicPrefix),
    state: topicName('reconciler-state', config.kafka.topicPrefix),
  }
  const { warnings } = await preflightKafka(kafka, reconcilerPreflight(config))
  for (const warning of warnings) log.warn(warning)
  // Decisions, outcomes and dead letters: sends made while a request is in flight share the next one.
  const producer = createCoalescedProducer(kafka)
  // The changelog has a producer of its own: an idempotent producer sends one request at a time, and a
  // state save (a whole app, gzipped) would hold every decision and outcome behind it.
  const stateProducer = createIdempotentProducer(kafka)
  await Promise.all([producer.connect(), stateProducer.connect()])

  const budget = deps.budget ?? createCallBudget({ ratePerSecond: config.zego.callsPerSecond })
  const clients = new Map<number, ZegoClient>()
  for (const app of config.apps) {
    if (app.serverSecret === null) continue
    clients.set(
      app.appId,
      createZegoClient({
        appId: app.appId,
        serverSecret: app.serverSecret.reveal(),
        baseUrl: config.zego.baseUrl,
        timeoutMs: config.zego.timeoutMs,
        budget,
        ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}),
      }),
    )
  }

  let closing: Promise<void> | undefined
  let shell: Shell | undefined
  const recent = new RecentLog()
  let source: KafkaSource | undefined
  const executor = createExecutor({
    clientFor: (appId) => clients.get(appId),
    clock,
    timers,
    record: async (outcome, decision) => {
      // Retried until it lands (or the process closes): the outcome is what moves the task on.
      await retry(
        () =>
          producer.send(topics.outcomes, [
            {
              key: appKey(outcome.appId),
              value: encodeOutcome(outcome),
              ...outcomeRecordMetadata(outcome, systemClock.now()),
            },
          ]),
        {
          ...RETRY_BACKOFF,
          attempts: Number.POSITIVE_INFINITY,
          timers,
          retryable: () => closing === undefined,
          onRetry: (error, attempt) =>
            log.warn(
              { err: error, attempt, decisionId: decision.id },
              'recording an outcome failed (it is tried again)',
            ),
        },
      )
      metrics.outcome(outcome, decision)
      recent.recorded(outcome)
      log.info(
        outcomeLogFields(outcome, decision),
        `outcome ${outcome.action} ${outcome.result} for task ${outcome.taskId}`,
      )
    },
    feedback: (appId, input, recorded) => (shell ? shell.input(appId, input, recorded) : Promise.resolve()),
    onError: (error, decision) =>
      log.error({ err: error, decisionId: decision.id }, 'executing a decision failed'),
  })

  const store = createKafkaStateStore({
    kafka,
    producer: stateProducer,
    topic: topics.state,
    parse: parseAppState,
    encode: config.stateFormat === 'v1' ? inOneStep(storedStateV1) : storedStateSteps,
    compression: config.stateCompression,
    onSkipped: (reason, key) => log.warn({ key, reason }, 'skipped an unusable changelog record'),
    onRestored: ({ partitions, ms, bytes, jsonBytes, jsonMs, stateMs }) =>
      log.info(
        {
          partitions,
          ms: Math.round(ms),
          bytes,
          jsonBytes,
          jsonMs: Math.round(jsonMs),
          stateMs: Math.round(stateMs),
        },
        'changelog read: where the restore went',
      ),
  })

  shell = new Shell({
    store,
    executor,
    clock,
    timers,
    eventsTopic: topics.events,
    policyFor: config.policyFor,
    canWrite: (partition) => source?.holds(partition) === true,
    publishDecisions: async (decisions) => {
      await producer.send(
        topics.decisions,
        decisions.map((d) => ({
          key: appKey(d.appId),
          value: encodeDecision(d),
          ...decisionRecordMetadata(d, systemClock.now()),
        })),
      )
    },
    publishDeadLetters: async (deadLetters) => {
      await producer.send(
        topics.deadLetter,
        deadLetters.map((d) => ({
          key: null,
          value: encodeDeadLetter(d),
          ...deadLetterRecordMetadata(d, systemClock.now()),
        })),
      )
    },
    observer: {
      decided: (decision) => {
        metrics.decided(decision)
        recent.decided(decision)
        log.info(
          decisionLogFields(decision),
          `decision ${decision.action} (${decision.reason}) for task ${decision.taskId}`,
        )
      },
      eventsApplied: (count) => metrics.eventsApplied(count),
      deadLettered: (deadLetter) => {
        metrics.deadLettered()
        log.warn({ source: deadLetter.source, reason: deadLetter.reason }, 'event record dead-lettered')
      },
      restored: (partitions, apps, ms) => {
        metrics.restored(ms)
        log.info({ partitions, apps, ms }, 'restored partitions from the changelog')
      },
      revoked: (partitions) => log.info({ partitions }, 'partitions revoked'),
      suspended: (partitions) =>
        log.info({ partitions }, 'partitions suspended until the group confirms who owns them'),
      saved: (ms) => metrics.saved(ms),
      saveFailed: (error) => log.error({ err: error }, 'saving state failed (it is tried again)'),
      inputFailed: (appId, error, attempt) =>
        log.warn({ err: error, appId, attempt }, 'applying a deadline or outcome failed (it is tried again)'),
    },
  })

  let crash: ConsumerHealth['crash'] = null
  let joined = false
  let failed: (error: unknown) => void = () => {}
  const fatal = new Promise<unknown>((resolve) => {
    failed = resolve
  })
  source = createKafkaSource({
    kafka,
    groupId: config.kafka.groupId,
    topic: topics.events,
    shell,
    timing: config.kafka.group,
    observer: {
      lag: (partition, lag) => metrics.lag(partition, lag),
      joined: (partitions) => {
        joined = true
        crash = null
        log.info({ partitions }, 'joined the consumer group')
      },
      crashed: (error, restart) => {
        crash = { error, restart }
        joined = false
        log.error(
          { err: error, restart },
          restart ? 'consumer crashed (kafkajs restarts it)' : 'consumer crashed for good: liveness fails',
        )
        if (!restart) failed(error)
      },
      assignFailed: (error, attempt) =>
        log.error({ err: error, attempt }, 'restoring the assigned partitions failed (it is tried again)'),
      batchFailed: (partition, error, attempt) =>
        log.warn({ err: error, partition, attempt }, 'applying a batch failed (it is tried again)'),
      commitFailed: (partition, error) =>
        log.warn({ err: error, partition }, 'committing saved offsets failed (the next save commits them)'),
      suspended: (reason) =>
        log.warn({ reason }, 'stopped acting on every partition until the group settles'),
    },
  })
  const events = source

  const app = createHttpApp({
    registry: metrics.registry,
    live: () => liveness({ joined, restoring: source.restoring(), crash }),
    ready: () => {
      const probe = readiness({ joined, restoring: source.restoring(), crash })
      return { ready: probe.ok, reason: probe.reason }
    },
    beforeScrape: () =>
      metrics.sample({
        deadlines: shell.deadlines(clock.now()),
        budgetWaiting: config.apps.reduce((n, a) => n + budget.waiting(a.appId), 0),
        inFlight: executor.inFlight(),
      }),
    status: createStatusSource({
      now: () => clock.now(),
      appIds: config.apps.map((a) => a.appId),
      policyFor: config.policyFor,
      states: () => shell.apps(),
      budget: { limitPerSecond: config.zego.callsPerSecond, waiting: (appId) => budget.waiting(appId) },
      recent,
      savings: createSavingsCache({
        load: async () =>
          savingsReport(await readHistory(kafka, config.kafka), {
            since: clock.now() - 86_400_000,
            until: clock.now(),
          }),
        now: () => clock.now(),
        maxAgeMs: 60_000,
      }),
    }),
    statusPublic: config.http.statusPublic,
  })
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s))
    s.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  await events.start()
  log.info({ port, group: config.kafka.groupId, topic: topics.events }, 'reconciler started')

  const running: RunningReconciler = {
    url: `http://127.0.0.1:${port}/`,
    port,
    metrics,
    shell,
    assigned: () => events.assigned(),
    fatal,
    close: () => {
      closing ??= (async () => {
        server.close()
        server.closeAllConnections()
        const owned = events.assigned()
        // Stop taking batches but stay in the group, let calls in flight finish, save what they
        // changed while the partitions are still ours, then leave the group: what is unfinished
        // stays pending in the saved state and the next owner carries it out. All of it within the
        // deadline: with Kafka gone, leaving the group could wait forever.
        let timer: NodeJS.Timeout | undefined
        const deadline = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), config.shutdownTimeoutMs)
        })
        const orderly = (async () => {
          await events.pause()
          await Promise.race([executor.drained(), deadline])
          await shell.flush().catch((error: unknown) => log.error({ err: error }, 'final save failed'))
          await events.stop()
        })()
        const finished = await Promise.race([orderly.then(() => 'done' as const), deadline])
        clearTimeout(timer)
        shell.stop()
        executor.cancel(config.apps.map((a) => a.appId))
        if (finished === 'late') {
          log.warn(
            { ms: config.shutdownTimeoutMs },
            'shutdown deadline passed: leaving without a clean hand-over',
          )
          void events.consumer.disconnect().catch(() => {})
        }
        await Promise.race([
          Promise.all([producer.disconnect(), stateProducer.disconnect()]),
          new Promise((resolve) => setTimeout(resolve, 1_000)),
        ])
        log.info({ handedBack: owned, clean: finished === 'done' }, 'reconciler stopped')
      })()
      return closing
    },
  }
  return running
}
