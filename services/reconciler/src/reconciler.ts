import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { appKey, encodeDeadLetter, encodeDecision, encodeOutcome, topicName } from '@mixguard/contracts'
import { createIdempotentProducer, createKafka, type KafkaLogSink, preflightKafka } from '@mixguard/kafka'
import {
  type CallBudget,
  type Clock,
  createCallBudget,
  createZegoClient,
  systemClock,
  systemTimers,
  type Timers,
  type ZegoClient,
} from '@mixguard/zego-api'
import type { Logger } from 'pino'
import type { Dispatcher } from 'undici'
import { createExecutor, type TaskContext } from './adapters/executor.ts'
import { createKafkaSource } from './adapters/kafka-source.ts'
import { createKafkaStateStore } from './adapters/state-store.ts'
import type { ReconcilerConfig } from './config.ts'
import { type AppState, parseAppState } from './core/index.ts'
import { type ConsumerHealth, liveness, readiness } from './health.ts'
import { createHttpApp } from './http.ts'
import { reconcilerPreflight } from './kafka-preflight.ts'
import { createMetrics, type ReconcilerMetrics } from './metrics.ts'
import { Shell } from './shell.ts'

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
}

/** The StopMix UserId: ZEGO's task ownership requires the initiator's. */
function taskContext(state: AppState, taskId: string): TaskContext {
  return { userId: state.tasks[taskId]?.userId ?? null }
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
  const producer = createIdempotentProducer(kafka)
  await producer.connect()

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

  let shell: Shell | undefined
  const executor = createExecutor({
    clientFor: (appId) => clients.get(appId),
    clock,
    timers,
    record: async (outcome, decision) => {
      await producer.send({
        topic: topics.outcomes,
        acks: -1,
        messages: [{ key: appKey(outcome.appId), value: encodeOutcome(outcome) }],
      })
      metrics.outcome(outcome, decision)
      log.info({ outcome }, `outcome ${outcome.action} ${outcome.result} for task ${outcome.taskId}`)
    },
    feedback: (appId, input) => (shell ? shell.input(appId, input) : Promise.resolve()),
    onError: (error, decision) =>
      log.error({ err: error, decisionId: decision.id }, 'executing a decision failed'),
  })

  const store = createKafkaStateStore({
    kafka,
    producer,
    topic: topics.state,
    parse: parseAppState,
    onSkipped: (reason, key) => log.warn({ key, reason }, 'skipped an unusable changelog record'),
  })

  shell = new Shell({
    store,
    executor,
    clock,
    timers,
    eventsTopic: topics.events,
    policyFor: config.policyFor,
    taskContext,
    publishDecisions: async (decisions) => {
      await producer.send({
        topic: topics.decisions,
        acks: -1,
        messages: decisions.map((d) => ({ key: appKey(d.appId), value: encodeDecision(d) })),
      })
    },
    publishDeadLetters: async (deadLetters) => {
      await producer.send({
        topic: topics.deadLetter,
        acks: -1,
        messages: deadLetters.map((d) => ({ key: null, value: encodeDeadLetter(d) })),
      })
    },
    observer: {
      decided: (decision) => {
        metrics.decided(decision)
        log.info({ decision }, `decision ${decision.action} (${decision.reason}) for task ${decision.taskId}`)
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
      saveFailed: (error) =>
        log.error({ err: error }, 'saving state failed (it is saved again with the next change)'),
    },
  })

  let crash: ConsumerHealth['crash'] = null
  let joined = false
  const source = createKafkaSource({
    kafka,
    groupId: config.kafka.groupId,
    topic: topics.events,
    shell,
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
          restart ? 'consumer crashed (kafkajs restarts it)' : 'consumer stopped for good: liveness fails',
        )
      },
    },
  })

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
  })
  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(config.http.port, config.http.host, () => resolve(s))
    s.once('error', reject)
  })
  const port = (server.address() as AddressInfo).port
  await source.start()
  log.info({ port, group: config.kafka.groupId, topic: topics.events }, 'reconciler started')

  let closing: Promise<void> | undefined
  const running: RunningReconciler = {
    url: `http://127.0.0.1:${port}/`,
    port,
    metrics,
    shell,
    assigned: () => source.assigned(),
    close: () => {
      closing ??= (async () => {
        server.close()
        server.closeAllConnections()
        const owned = source.assigned()
        // Stop taking batches, let calls in flight finish (their outcomes are saved), then leave the
        // group: what is unfinished stays pending in the saved state and the next owner carries it out.
        // All of it within the deadline: with Kafka gone, leaving the group could wait forever.
        let timer: NodeJS.Timeout | undefined
        const deadline = new Promise<'late'>((resolve) => {
          timer = setTimeout(() => resolve('late'), config.shutdownTimeoutMs)
        })
        const orderly = (async () => {
          await source.consumer.stop()
          await Promise.race([executor.drained(), deadline])
          await shell.flush()
          await source.stop()
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
          void source.consumer.disconnect().catch(() => {})
        }
        await Promise.race([producer.disconnect(), new Promise((resolve) => setTimeout(resolve, 1_000))])
        log.info({ handedBack: owned, clean: finished === 'done' }, 'reconciler stopped')
      })()
      return closing
    },
  }
  return running
}
