// The whole pipeline for one app on the real clock, for the benchmarks: the local Kafka broker,
// zego-sim, ingest (callbacks and the mix-API passthrough) and one reconciler.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { topicSpecs } from '@mixguard/contracts'
import { loadConfig as loadIngestConfig, startIngest } from '@mixguard/ingest'
import { createKafka, ensureTopics } from '@mixguard/kafka'
import {
  loadConfig as loadReconcilerConfig,
  type RunningReconciler,
  startReconciler,
} from '@mixguard/reconciler'
import type { AppPolicy } from '@mixguard/reconciler/core'
import { createZegoClient } from '@mixguard/zego-api'
import { createSimulator, type Simulator } from '@mixguard/zego-sim'
import { pino } from 'pino'
import { onTeardown } from './teardown.ts'

export interface OneAppPipeline {
  sim: Simulator
  reconciler: RunningReconciler
  /** Ingest's origin, and the app's callback secret (to post callbacks to it directly). */
  ingestUrl: string
  callbackSecret: string
  /**
   * Task `<id>` mixing live input `in-<id>` in room `roomOf(id)` (by default `room-<id>`: one room
   * per task), started through the passthrough at `perSecond` (under ZEGO's StartMix limit).
   */
  mixRooms(ids: readonly string[], perSecond?: number, roomOf?: (id: string) => string): Promise<void>
  close(): Promise<void>
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Runs `body` with the pipeline on `brokers` and always tears it down (the broker is the caller's). */
export async function withOneAppPipeline(
  brokers: string[],
  options: { appId: number; name: string; policy?: (policy: AppPolicy) => AppPolicy },
  body: (pipeline: OneAppPipeline) => Promise<void>,
): Promise<void> {
  const { appId, name } = options
  const secrets = { serverSecret: 'b'.repeat(32), callbackSecret: 'c'.repeat(24) }
  const prefix = `bench-${name}-${Date.now()}`
  // Errors only, on stderr: stdout is the table's.
  const quiet = pino({ level: 'error' }, pino.destination(2))
  const spool = await mkdtemp(join(tmpdir(), `bench-${name}-`))
  const removeSpool = onTeardown(() => rm(spool, { recursive: true, force: true }))
  const sim = await createSimulator({ host: '127.0.0.1', apps: [{ appId, ...secrets }] })
  try {
    await ensureTopics(createKafka({ brokers, clientId: `bench-${name}` }), topicSpecs(prefix))
    const env = {
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PREFIX: prefix,
      ZEGO_APP_ID: String(appId),
      ZEGO_SERVER_SECRET: secrets.serverSecret,
      ZEGO_CALLBACK_SECRET: secrets.callbackSecret,
      ZEGO_API_BASE_URL: sim.url,
      INGEST_PORT: '0',
      INGEST_ADMIN_PORT: '0',
      INGEST_SPOOL_DIR: spool,
      INGEST_LOG_LEVEL: 'error',
      RECONCILER_PORT: '0',
    }
    const ingestConfig = loadIngestConfig(env)
    if (!ingestConfig.ok) throw new Error(ingestConfig.message)
    const ingest = await startIngest(ingestConfig.config, { logger: quiet })
    sim.world.updateApp(appId, { callbackUrl: `${ingest.url}/zego/callback` })
    const reconcilerConfig = loadReconcilerConfig(env)
    if (!reconcilerConfig.ok) throw new Error(reconcilerConfig.message)
    const config = reconcilerConfig.config
    const change = options.policy ?? ((policy: AppPolicy) => policy)
    const reconciler = await startReconciler(
      { ...config, policyFor: (id) => change(config.policyFor(id)) },
      { log: quiet },
    )
    // The customer's mix API calls, through ingest's passthrough. 30 s rather than the 5 s default: on a
    // busy machine a slow StartMix answer is what the benches measure around, not a reason to fail.
    const customer = createZegoClient({
      appId,
      serverSecret: secrets.serverSecret,
      baseUrl: `${ingest.url}/zego/`,
      timeoutMs: 30_000,
    })
    const pipeline: OneAppPipeline = {
      sim,
      reconciler,
      ingestUrl: ingest.url,
      callbackSecret: secrets.callbackSecret,
      async mixRooms(ids, perSecond = 50, roomOf = (id) => `room-${id}`) {
        const began = Date.now()
        for (const [i, id] of ids.entries()) {
          await sleep(Math.max(0, began + (i * 1000) / perSecond - Date.now()))
          sim.actions.publish({ appId, roomId: roomOf(id), streamId: `in-${id}`, userId: `host-${id}` })
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
      async close() {
        await reconciler.close()
        await ingest.close()
      },
    }
    try {
      await body(pipeline)
    } finally {
      await pipeline.close()
    }
  } finally {
    await sim.close()
    await removeSpool()
  }
}
