import { randomBytes } from 'node:crypto'
import { callbackSignature } from '@mixguard/zego-api'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'

/**
 * Defence in depth (issue 9): a callback ingest accepts as authentic (a captured signature replayed to
 * another replica or after a restart, which the in-memory nonce cache cannot see) still stops nothing
 * that ZEGO does not confirm. The reconciler asks ZEGO (here zego-sim) before it acts.
 */
const APP = 4301

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({ scale: 20, apps: [{ appId: APP }] })
})
afterAll(() => pipeline?.close())

const parsed = (records: { value: Buffer }[]) => records.map((r) => JSON.parse(r.value.toString()))

/** A mix_start ingest takes for ZEGO's: validly signed, with a body the signature does not cover. */
async function forgeMixStart(taskId: string, output: string): Promise<number> {
  const secret = pipeline.sim.world.app(APP)?.callbackSecret
  if (secret === undefined) throw new Error('no such app in the simulator')
  // A mix callback's time is its signed timestamp (whole seconds): a start less than a second after
  // the live task's is no order (supersession.ts olderOf). A signature captured from a callback sent
  // after the live task started is later by that much; here, 2 s ahead (inside the freshness window).
  const timestamp = String(Math.floor(Date.now() / 1000) + 2)
  const nonce = randomBytes(8).toString('hex')
  const response = await fetch(`${pipeline.ingest.url}/zego/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      appid: String(APP),
      event: 'mix_start',
      seq: '1',
      task_id: `${APP}:${taskId}`,
      channel_id: 'elsewhere',
      publish_id: 'mallory',
      mix_stream_alias: output,
      stream_alias: output,
      timestamp,
      nonce,
      signature: callbackSignature(secret, timestamp, nonce),
    }),
  })
  return response.status
}

/** A host publishes `stream` in `room`, and the customer mixes it into `show` through the passthrough. */
function publishAndMix(a: { task: string; user: string; room: string; stream: string }) {
  pipeline.sim.actions.publish({ appId: APP, roomId: a.room, streamId: a.stream, userId: `host-${a.stream}` })
  return pipeline.customer(APP).startMix({
    TaskId: a.task,
    UserId: a.user,
    RoomId: a.room,
    MixInput: [{ StreamId: a.stream }],
    MixOutput: [{ StreamId: 'show' }],
  })
}

test('a forged mix_start sharing a live task’s output does not stop it: GetMixTaskInfo finds no such task', async () => {
  expect((await publishAndMix({ task: 'live', user: 'svc', room: 'r1', stream: 's1' })).ok).toBe(true)

  expect(await forgeMixStart('forged', 'show')).toBe(200)

  await pipeline.decisions.until('the check of the forged task', (records) =>
    parsed(records).some((d) => d.taskId === 'forged' && d.rule === 'superseding_run'),
  )
  const check = parsed(pipeline.decisions.records).find((d) => d.taskId === 'forged')
  expect(check).toMatchObject({
    action: 'verify',
    reason: 'superseded',
    command: { call: 'GetMixTaskInfo', taskId: 'forged', lane: 'urgent' },
  })
  await pipeline.outcomes.until('ZEGO’s answer about the forged task', (records) =>
    parsed(records).some((o) => o.decisionId === check.id && o.result === 'already_gone'),
  )

  // A real newer task with the same output does supersede it: its stop is the first for `live`, so
  // nothing stopped it before (the decisions topic is in order per app).
  const liveEnded = pipeline.taskEnded(APP, 'live')
  expect((await publishAndMix({ task: 'newer', user: 'svc2', room: 'r2', stream: 's2' })).ok).toBe(true)
  expect((await liveEnded).reason).toBe('stopped')
  await pipeline.decisions.until('the stop of live', (records) =>
    parsed(records).some((d) => d.taskId === 'live' && d.action === 'stop'),
  )
  const stopsOfLive = parsed(pipeline.decisions.records).filter(
    (d) => d.taskId === 'live' && d.action === 'stop',
  )
  expect(stopsOfLive[0]).toMatchObject({ reason: 'superseded', evidence: { supersededBy: 'newer' } })
  expect(pipeline.sim.ledger.stopCalls(APP).map((c) => c.taskId)).toEqual(['live'])
})

test('a forged room_close against a task known only from its mix_start is checked with the room’s stream list, and the task runs on', async () => {
  const { sim } = pipeline
  sim.actions.publish({ appId: APP, roomId: 'r3', streamId: 's3', userId: 'host3' })
  const created = await sim.callbacks.waitForSettled(
    (d) => d.appId === APP && d.event === 'stream_create' && d.payload.stream_id === 's3',
  )
  // Started at ZEGO directly (as a client SDK would), not through the passthrough: Mixguard learns
  // the task from its mix_start callback alone and does not know its inputs.
  const started = await sim.customer.client(APP, sim.url).startMix({
    TaskId: 'sdk',
    UserId: 'svc3',
    RoomId: 'r3',
    MixInput: [{ StreamId: 's3' }],
    MixOutput: [{ StreamId: 'show3' }],
  })
  expect(started.ok).toBe(true)
  await sim.callbacks.waitForSettled(
    (d) => d.appId === APP && d.event === 'mix_start' && String(d.payload.task_id).endsWith(':sdk'),
  )

  // A validly signed room_close (ingest's in-memory nonce store has not seen this nonce): accepted.
  const secret = sim.world.app(APP)?.callbackSecret
  if (secret === undefined) throw new Error('no such app in the simulator')
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = randomBytes(8).toString('hex')
  const response = await fetch(`${pipeline.ingest.url}/zego/callback`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      event: 'room_close',
      appid: APP,
      room_id: 'r3',
      room_session_id: Number(created.payload.room_session_id),
      close_reason: 0,
      room_close_time: String(sim.clock.now()),
      timestamp: Number(timestamp),
      nonce,
      signature: callbackSignature(secret, timestamp, nonce),
    }),
  })
  expect(response.status).toBe(200)

  await pipeline.decisions.until('the check of room r3', (records) =>
    parsed(records).some((d) => d.taskId === 'sdk' && d.command?.call === 'DescribeSimpleStreamList'),
  )
  const check = parsed(pipeline.decisions.records).find(
    (d) => d.taskId === 'sdk' && d.command?.call === 'DescribeSimpleStreamList',
  )
  expect(check).toMatchObject({ action: 'verify', command: { roomId: 'r3' } })
  await pipeline.outcomes.until('ZEGO’s list of room r3', (records) =>
    parsed(records).some((o) => o.decisionId === check.id && o.result === 'observed'),
  )

  // Then the stream really closes. The room is empty, not closed: the list refuted the forged close,
  // which never arms again, and an empty room stops nothing by default (stopWhenRoomEmpty off; the
  // task's inputs are unknown, so there is no orphan rule for it either). ZEGO's own idle rule
  // (MaxIdleTime, 90 s) ends the task, not a StopMix: with the forged close brought back, Mixguard
  // stopped it first (room_close+unconfirmed, 30 s after the stream's close).
  const ended = pipeline.taskEnded(APP, 'sdk')
  sim.actions.unpublish({ appId: APP, streamId: 's3' })
  expect((await ended).reason).toBe('idle')
  expect(parsed(pipeline.decisions.records).filter((d) => d.taskId === 'sdk' && d.action === 'stop')).toEqual(
    [],
  )
})
