// The whole pipeline for one app as production runs it, for the benchmarks: every component in a
// process of its own, configured from the environment like a deployment — zego-sim (its `serve`
// command), ingest (`services/ingest/src/main.ts`: callbacks and the mix-API passthrough) and one
// reconciler (`services/reconciler/src/main.ts`, its policy from a ZEGO_APPS_FILE). The bench process
// only drives: it plays the customer (StartMix through ingest's passthrough) and ZEGO's users (the
// simulator's control API), and reads what ZEGO saw (its ledger). Every process is stopped at
// teardown (the bench's end, an error, Ctrl-C).
//
// BENCH_LOG_DIR=<dir> keeps each process's stdout there (sim.log, ingest.log, reconciler.log: set
// BENCH_RECONCILER_LOG_LEVEL=debug for the reconciler's decisions); BENCH_RECONCILER_NODE_FLAGS
// (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") profiles the reconciler, BENCH_INGEST_NODE_FLAGS ingest.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { topicSpecs } from '@mixguard/contracts'
import { createKafka, ensureTopics } from '@mixguard/kafka'
import { freePort } from '@mixguard/kafka/local'
import { type History, readHistory } from '@mixguard/ops'
import { createZegoClient } from '@mixguard/zego-api'
import { nodeFlagsFrom, startIngestProcess, startServiceProcess } from './subject-process.ts'
import { onTeardown } from './teardown.ts'

export interface ProcessPipeline {
  ingestUrl: string
  callbackSecret: string
  /** The processes' ids (for their CPU time: process-cpu.ts). */
  pids: { sim: number | undefined; ingest: number | undefined; reconciler: number | undefined }
  /**
   * Task `<id>` mixing live input `in-<id>` in room `roomOf(id)` (by default `room-<id>`: one room per
   * task), started through the passthrough at `perSecond` (under ZEGO's StartMix limit).
   */
  mixRooms(ids: readonly string[], perSecond?: number, roomOf?: (id: string) => string): Promise<void>
  /** Closes a live stream in the simulator; resolves with its close time on the simulator's clock. */
  unpublish(streamId: string): Promise<number>
  /**
   * Closes live streams at one moment (one scenario run inside the simulator, not one request each);
   * resolves with their close times on the simulator's clock, in order.
   */
  unpublishAll(streamIds: readonly string[]): Promise<number[]>
  /** The calls ZEGO received so far for `action`, in order: real and simulated receipt time, answer code. */
  calls(action: string): Promise<ZegoCall[]>
  /** The StopMix calls ZEGO received so far: task → simulator time of receipt. */
  stopCalls(): Promise<Map<string, number>>
  /** Overload answers ZEGO gave, every call counted. */
  overloads(): Promise<number>
  /** Overload answers ZEGO gave so far, per action. */
  overloadsByAction(): Promise<Record<string, number>>
  /** What the topics hold so far (events, decisions, outcomes), as `pnpm explain` reads them. */
  history(): Promise<History>
  /**
   * The longest the reconciler's event loop was held since the last reading (sampled every 10 ms): the
   * largest `eventloop_lag_max` of every /metrics scrape since, as each scrape resets that histogram.
   */
  reconcilerLoopHeldMs(): Promise<number>
  /** Events not yet applied by the reconciler, over its partitions, as of its last batch (its /metrics). */
  reconcilerLag(): Promise<number>
  /** The reconciler's coalesced state saves so far: how many, and the seconds they took in all (its /metrics). */
  reconcilerSaves(): Promise<{ count: number; seconds: number }>
}

/** The overload answers between two `overloadsByAction` readings: their number, and per action as text. */
export function overloadsBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): { total: number; byAction: string } {
  const added = Object.entries(after)
    .map(([action, n]) => [action, n - (before[action] ?? 0)] as const)
    .filter(([, n]) => n > 0)
  return {
    total: added.reduce((sum, [, n]) => sum + n, 0),
    byAction: added.map(([action, n]) => `${action} ${n}`).join(', ') || 'none',
  }
}

export interface ZegoCall {
  receivedAt: number
  simAt: number
  code: number
  taskId: string | undefined
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** The value of the unlabelled sample `name` in a /metrics text (NaN when it is not there). */
function sample(text: string, name: string): number {
  return Number(text.match(new RegExp(`^${name} (\\S+)$`, 'm'))?.[1])
}

/** Runs `body` with the pipeline's processes on `brokers` (the caller's) and always stops them. */
export async function withProcessPipeline(
  brokers: string[],
  options: { appId: number; name: string; policy?: Record<string, unknown> },
  body: (pipeline: ProcessPipeline) => Promise<void>,
): Promise<void> {
  const { appId, name } = options
  const secrets = { serverSecret: 'b'.repeat(32), callbackSecret: 'c'.repeat(24) }
  const prefix = `bench-${name}-${Date.now()}`
  const logDir = process.env.BENCH_LOG_DIR
  const logFile = (component: string) =>
    logDir === undefined ? {} : { logFile: join(logDir, `${component}.log`) }
  if (logDir !== undefined) await mkdir(logDir, { recursive: true })
  const dir = await mkdtemp(join(tmpdir(), `bench-${name}-`))
  const stops: Array<() => Promise<void>> = [onTeardown(() => rm(dir, { recursive: true, force: true }))]
  try {
    await ensureTopics(createKafka({ brokers, clientId: `bench-${name}` }), topicSpecs(prefix))
    const [simPort, ingestPort, reconcilerPort] = [await freePort(), await freePort(), await freePort()]
    const simUrl = `http://127.0.0.1:${simPort}`
    const ingestUrl = `http://127.0.0.1:${ingestPort}`
    const app = { appId, ...secrets, callbackUrl: `${ingestUrl}/zego/callback` }
    const sim = await startServiceProcess('zego-sim', here('../packages/zego-sim/src/cli.ts'), {
      env: {},
      args: ['serve', '--host', '127.0.0.1', '--port', String(simPort), '--app', JSON.stringify(app)],
      readyUrl: `${simUrl}/_sim/health`,
      ...logFile('sim'),
    })
    stops.push(sim.stop)
    // The apps file both services read, as a deployment mounts it: secrets and the app's policy.
    const appsFile = join(dir, 'apps.json')
    await writeFile(
      appsFile,
      JSON.stringify({
        apps: [
          {
            appId,
            serverSecret: secrets.serverSecret,
            callbackSecrets: [secrets.callbackSecret],
            ...(options.policy ? { policy: options.policy } : {}),
          },
        ],
      }),
    )
    const common = {
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PREFIX: prefix,
      ZEGO_APPS_FILE: appsFile,
      ZEGO_APP_ID: '',
      ZEGO_CALLBACK_SECRET: '',
      ZEGO_API_BASE_URL: simUrl,
    }
    const ingest = await startIngestProcess(
      brokers,
      prefix,
      { ...common, INGEST_PORT: String(ingestPort) },
      logFile('ingest').logFile,
    )
    stops.push(ingest.stop)
    const reconciler = await startServiceProcess('reconciler', here('../services/reconciler/src/main.ts'), {
      env: {
        ...common,
        RECONCILER_HOST: '127.0.0.1',
        RECONCILER_PORT: String(reconcilerPort),
        RECONCILER_GROUP_ID: `${prefix}-reconciler`,
        RECONCILER_LOG_LEVEL: process.env.BENCH_RECONCILER_LOG_LEVEL ?? 'warn',
      },
      readyUrl: `http://127.0.0.1:${reconcilerPort}/readyz`,
      // Its graceful close (RECONCILER_SHUTDOWN_TIMEOUT_MS, 15 s) leaves the group and writes a profile.
      stopGraceMs: 20_000,
      nodeFlags: nodeFlagsFrom('BENCH_RECONCILER_NODE_FLAGS'),
      ...logFile('reconciler'),
    })
    stops.push(reconciler.stop)
    const control = async <T>(method: 'GET' | 'POST', path: string, json?: unknown): Promise<T> => {
      const res = await fetch(`${simUrl}/_sim${path}`, {
        method,
        ...(json === undefined
          ? {}
          : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
      })
      if (!res.ok) throw new Error(`zego-sim ${method} ${path}: ${res.status} ${await res.text()}`)
      return (await res.json()) as T
    }
    /** The longest loop hold any scrape reported since reconcilerLoopHeldMs last read it. */
    let loopHeldMs = 0
    const reconcilerMetrics = async () => {
      const text = await (await fetch(`http://127.0.0.1:${reconcilerPort}/metrics`)).text()
      // Every scrape (the lag's, the saves') resets the loop-delay histogram: keep its longest hold.
      loopHeldMs = Math.max(
        loopHeldMs,
        1000 * (sample(text, 'mixguard_nodejs_eventloop_lag_max_seconds') || 0),
      )
      return text
    }
    const overloadsByAction = async () =>
      (await control<{ totals: { overloads: Record<string, number> } }>('GET', '/ledger')).totals.overloads
    // The customer's mix API calls, through ingest's passthrough. 30 s rather than the 5 s default: on a
    // busy machine a slow StartMix answer is what the benches measure around, not a reason to fail.
    const customer = createZegoClient({
      appId,
      serverSecret: secrets.serverSecret,
      baseUrl: `${ingestUrl}/zego/`,
      timeoutMs: 30_000,
    })
    await body({
      ingestUrl,
      callbackSecret: secrets.callbackSecret,
      pids: { sim: sim.pid, ingest: ingest.pid, reconciler: reconciler.pid },
      async mixRooms(ids, perSecond = 50, roomOf = (id) => `room-${id}`) {
        const began = Date.now()
        for (const [i, id] of ids.entries()) {
          await sleep(Math.max(0, began + (i * 1000) / perSecond - Date.now()))
          await control('POST', '/streams/publish', {
            appId,
            roomId: roomOf(id),
            streamId: `in-${id}`,
            userId: `host-${id}`,
          })
          const started = await customer.startMix({
            TaskId: id,
            UserId: `mixer-${id}`,
            RoomId: roomOf(id),
            MixInput: [{ StreamId: `in-${id}` }],
            MixOutput: [{ StreamId: `out-${id}` }],
          })
          if (!started.ok) throw new Error(started.error.message)
        }
      },
      async unpublish(streamId) {
        const stream = await control<{ closedAt: number }>('POST', '/streams/unpublish', { appId, streamId })
        return stream.closedAt
      },
      async unpublishAll(streamIds) {
        const steps = streamIds.map((streamId) => ({ do: 'unpublish', at: 0, appId, streamId }))
        const run = await control<{ outcomes: Array<{ ranAt: number; ok: boolean; message?: string }> }>(
          'POST',
          '/scenarios',
          { steps, wait: true },
        )
        const failed = run.outcomes.find((o) => !o.ok)
        if (failed) throw new Error(`zego-sim could not close a stream: ${failed.message}`)
        return run.outcomes.map((o) => o.ranAt)
      },
      calls: (action) =>
        control<ZegoCall[]>('GET', `/calls?appId=${appId}&action=${encodeURIComponent(action)}`),
      async stopCalls() {
        const calls = await control<Array<{ taskId: string; simAt: number; code: number }>>(
          'GET',
          `/stop-calls?appId=${appId}`,
        )
        // The first call that stopped the task: an overloaded or failed attempt stopped nothing.
        const stopped = new Map<string, number>()
        for (const c of calls) if (c.code === 0 && !stopped.has(c.taskId)) stopped.set(c.taskId, c.simAt)
        return stopped
      },
      async overloads() {
        return Object.values(await overloadsByAction()).reduce((n, x) => n + x, 0)
      },
      overloadsByAction,
      history: () =>
        readHistory(createKafka({ brokers, clientId: `bench-${name}-history` }), { topicPrefix: prefix }),
      async reconcilerLoopHeldMs() {
        await reconcilerMetrics()
        const held = loopHeldMs
        loopHeldMs = 0
        return held
      },
      async reconcilerLag() {
        const lags = (await reconcilerMetrics()).matchAll(
          /^mixguard_reconciler_consumer_lag_records\{[^}]*\} (\S+)$/gm,
        )
        return [...lags].reduce((sum, m) => sum + Number(m[1]), 0)
      },
      async reconcilerSaves() {
        const text = await reconcilerMetrics()
        const total = (part: string) => sample(text, `mixguard_reconciler_state_save_seconds_${part}`) || 0
        return { count: total('count'), seconds: total('sum') }
      },
    })
  } finally {
    // The reconciler first (it leaves its group), then ingest, then the simulator; temp files last.
    for (const stop of stops.reverse()) await stop()
  }
}
