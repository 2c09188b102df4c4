import { request } from 'undici'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'
import { type LocalRedis, startRedisServer } from './redis-server.ts'
import { waitFor } from './wait-for.ts'

// Issue 9's attack, end to end: Kafka, zego-sim (ZEGO), two ingest replicas behind one "load balancer"
// sharing one real redis-server, and the reconciler. An attacker who read one signed callback (from a
// topic, a log, the wire) replays its signature to the other replica with a body of their own.
const APP = 4301
let redis: LocalRedis
let pipeline: Pipeline
beforeAll(async () => {
  redis = await startRedisServer()
  pipeline = await startPipeline({
    scale: 20,
    apps: [{ appId: APP }],
    ingestEnv: { INGEST_NONCE_STORE: 'redis', REDIS_URL: redis.url },
  })
})
afterAll(async () => {
  await pipeline?.close()
  await redis?.stop()
})

async function postCallback(url: string, body: Record<string, unknown>) {
  const res = await request(`${url}/zego/callback`, {
    method: 'POST',
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json' },
  })
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> }
}

const decisionsFor = (taskId: string) =>
  pipeline.decisions.records
    .map((r) => JSON.parse(r.value.toString()) as { taskId: string; action: string; reason: string })
    .filter((d) => d.taskId === taskId)

test('a signature captured from replica A and replayed to replica B with a forged mix_start or room_close is refused, and the live task runs on; a restarted replica refuses it too', async () => {
  const { sim } = pipeline
  const replicaB = await pipeline.startIngestReplica()
  const liveStartedAt = Date.now()
  await pipeline.startMix(APP, {
    id: 'live',
    user: 'svc-live',
    room: 'r-live',
    input: 'live-in',
    output: 'live-out',
  })
  const liveCreate = await sim.callbacks.waitForSettled(
    (d) => d.appId === APP && d.event === 'stream_create' && d.payload.stream_id === 'live-in',
  )
  const liveStart = await sim.callbacks.waitForSettled(
    (d) => d.appId === APP && d.event === 'mix_start' && String(d.payload.task_id).endsWith(':live'),
  )
  // The forged task must look newer than the live one by more than the reconciler's callback-time
  // slack (1 s), so the attacker uses signatures captured later: the condition waited on is the clock.
  await waitFor('a second past the live start', () => Date.now() > liveStartedAt + 2_000, { intervalMs: 100 })
  // What the attacker read: two callbacks ZEGO delivered to replica A (the callback URL), acknowledged.
  const capture = async (streamId: string) => {
    sim.actions.publish({ appId: APP, roomId: 'r-other', streamId, userId: `pub-${streamId}` })
    const delivery = await sim.callbacks.waitForSettled(
      (d) => d.appId === APP && d.event === 'stream_create' && d.payload.stream_id === streamId,
    )
    expect(delivery.status).toBe('delivered')
    const { timestamp, nonce, signature } = delivery.payload
    return { payload: delivery.payload, auth: { timestamp, nonce, signature } }
  }
  const [first, second] = [await capture('other-1'), await capture('other-2')]

  // (a) A task that "starts" pushing the live task's output: on main, the live task was stopped at once.
  const forgedStart = {
    ...liveStart.payload,
    ...first.auth,
    task_id: `${APP}:forged`,
    publish_id: 'svc-forged',
  }
  // (b) The live task's room "closes" (each forgery needs a signature of its own).
  const forgedClose = {
    event: 'room_close',
    appid: APP,
    room_id: 'r-live',
    room_session_id: Number(liveCreate.payload.room_session_id),
    close_reason: 0,
    room_close_time: String(sim.clock.now()),
    ...second.auth,
    timestamp: Number(second.auth.timestamp),
  }
  for (const forged of [forgedStart, forgedClose]) {
    expect(await postCallback(replicaB.url, forged)).toMatchObject({
      status: 401,
      json: { ok: false, reason: 'unauthenticated' },
    })
  }

  // A later marker: a supersession the reconciler decides on. Events of one app are ordered on one
  // partition, so once its decision is out, anything ingest had stored before it was processed too.
  await pipeline.startMix(APP, {
    id: 'marker-old',
    user: 'svc-m1',
    room: 'r-m1',
    input: 'm1-in',
    output: 'm-out',
  })
  await pipeline.startMix(APP, {
    id: 'marker-new',
    user: 'svc-m2',
    room: 'r-m2',
    input: 'm2-in',
    output: 'm-out',
  })
  await pipeline.decisions.until('the marker decision', () => decisionsFor('marker-old').length > 0)
  expect(decisionsFor('marker-old')[0]).toMatchObject({ action: 'stop', reason: 'superseded' })

  expect(decisionsFor('live').filter((d) => d.action === 'stop')).toEqual([])
  expect(sim.world.runningTask(APP, 'live')).toBeDefined()
  expect(sim.ledger.stopCalls(APP).filter((c) => c.taskId === 'live')).toEqual([])

  // Replica B restarts: the shared store still holds the signature, so the replay is refused again.
  await replicaB.close()
  const restarted = await pipeline.startIngestReplica()
  expect(await postCallback(restarted.url, forgedStart)).toMatchObject({ status: 401 })
  // The genuine callback, retried by ZEGO to any replica, is still a duplicate (acknowledged, not stored twice).
  expect(await postCallback(restarted.url, first.payload)).toMatchObject({
    status: 200,
    json: { ok: true, reason: 'duplicate' },
  })
})
