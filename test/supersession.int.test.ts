import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'

const APP = 4201
const NO_USER_RULE = 4202

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: 20,
    apps: [
      { appId: APP },
      // An app that runs several tasks per room under one service UserId switches that rule off.
      { appId: NO_USER_RULE, policy: { supersession: { sharedUserInRoom: false } } },
    ],
  })
})
afterAll(() => pipeline?.close())

async function startMix(
  appId: number,
  task: { id: string; user: string; room: string; input: string; output: string },
) {
  if (!pipeline.sim.world.streams(appId).some((s) => s.streamId === task.input && s.live)) {
    pipeline.sim.actions.publish({
      appId,
      roomId: task.room,
      streamId: task.input,
      userId: `pub-${task.input}`,
    })
  }
  const started = await pipeline.customer(appId).startMix({
    TaskId: task.id,
    UserId: task.user,
    RoomId: task.room,
    MixInput: [{ StreamId: task.input }],
    MixOutput: [{ StreamId: task.output }],
  })
  expect(started.ok).toBe(true)
}

const stopsOf = (appId: number, taskId: string) =>
  pipeline.sim.ledger.stopCalls(appId).filter((c) => c.taskId === taskId)

test('a newer task by the same UserId in the same room stops the older one at once, not the newer', async () => {
  const olderEnd = pipeline.taskEnded(APP, 'user-old')
  await startMix(APP, { id: 'user-old', user: 'svc-a', room: 'r1', input: 's1', output: 'o-old' })
  // Same UserId in another room: never a supersession (many backends use one service UserId).
  await startMix(APP, { id: 'user-other-room', user: 'svc-a', room: 'r2', input: 's2', output: 'o-other' })
  await startMix(APP, { id: 'user-new', user: 'svc-a', room: 'r1', input: 's3', output: 'o-new' })

  expect((await olderEnd).reason).toBe('stopped')
  expect(stopsOf(APP, 'user-old').map((c) => c.code)).toEqual([0])
  expect(pipeline.sim.world.runningTask(APP, 'user-new')).toBeDefined()
  expect(pipeline.sim.world.runningTask(APP, 'user-other-room')).toBeDefined()
  expect(stopsOf(APP, 'user-new')).toEqual([])
  expect(stopsOf(APP, 'user-other-room')).toEqual([])

  await pipeline.decisions.until('the supersession decision', (records) =>
    records.some((r) => JSON.parse(r.value.toString()).taskId === 'user-old'),
  )
  const decision = pipeline.decisions.records
    .map((r) => JSON.parse(r.value.toString()))
    .find((d) => d.taskId === 'user-old')
  expect(decision).toMatchObject({
    action: 'stop',
    reason: 'superseded',
    rule: 'shared_user_in_room',
    evidence: { supersededBy: 'user-new' },
  })
})

test('a newer task pushing the same output stream stops the older one, whoever started it', async () => {
  const olderEnd = pipeline.taskEnded(APP, 'out-old')
  await startMix(APP, { id: 'out-old', user: 'svc-b', room: 'r3', input: 's4', output: 'shared-out' })
  await startMix(APP, { id: 'out-new', user: 'svc-c', room: 'r4', input: 's5', output: 'shared-out' })

  expect((await olderEnd).reason).toBe('stopped')
  expect(pipeline.sim.world.runningTask(APP, 'out-new')).toBeDefined()
  expect(stopsOf(APP, 'out-new')).toEqual([])
  await pipeline.decisions.until('the shared-output decision', (records) =>
    records.some((r) => JSON.parse(r.value.toString()).taskId === 'out-old'),
  )
  const decision = pipeline.decisions.records
    .map((r) => JSON.parse(r.value.toString()))
    .find((d) => d.taskId === 'out-old')
  expect(decision).toMatchObject({
    reason: 'superseded',
    rule: 'shared_output',
    evidence: { supersededBy: 'out-new' },
  })
})

test('with the UserId rule off, two tasks of one UserId in one room both keep running', async () => {
  await startMix(NO_USER_RULE, { id: 'a', user: 'svc', room: 'r', input: 'sa', output: 'oa' })
  await startMix(NO_USER_RULE, { id: 'b', user: 'svc', room: 'r', input: 'sb', output: 'ob' })
  // A third task that does supersede (same output as b) proves the reconciler has seen all of them.
  const bEnd = pipeline.taskEnded(NO_USER_RULE, 'b')
  await startMix(NO_USER_RULE, { id: 'c', user: 'other', room: 'r2', input: 'sc', output: 'ob' })
  expect((await bEnd).reason).toBe('stopped')
  expect(pipeline.sim.world.runningTask(NO_USER_RULE, 'a')).toBeDefined()
  expect(stopsOf(NO_USER_RULE, 'a')).toEqual([])
})
