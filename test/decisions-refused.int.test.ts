import { topicSpecs } from '@mixguard/contracts'
import { ConfigResourceTypes } from 'kafkajs'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { testKafka } from './kafka.ts'
import { type Pipeline, startPipeline } from './pipeline.ts'

// The decisions topic refuses every record for a while (its max.message.bytes shrunk below any
// decision, then restored), while an orphan's deadline fires and a supersession arrives in a batch.
// Decisions are written before anything acts on them, so nothing may be stopped during the refusal;
// once the topic takes records again both stops must happen, and the reconciler must not crash.
const SCALE = 20
const APP = 4801
const GRACE_MS = 20_000
const REFUSAL_MS = 3_000

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: SCALE,
    apps: [{ appId: APP, policy: { graceMs: { normal: GRACE_MS } } }],
  })
})
afterAll(() => pipeline?.close())

async function mix(task: string, input: string, output: string) {
  const started = await pipeline.customer(APP).startMix({
    TaskId: task,
    UserId: `mixer-${task}`,
    RoomId: `room-${task}`,
    MixInput: [{ StreamId: input }],
    MixOutput: [{ StreamId: output }],
    // Longer than the test, so that ZEGO's own idle rule ends nothing.
    MaxIdleTime: 3600,
  })
  expect(started.ok).toBe(true)
}

async function setDecisionsTopic(extra: { name: string; value: string }[]) {
  const spec = topicSpecs(pipeline.prefix).find((t) => t.logical === 'decisions')
  if (!spec) throw new Error('no decisions topic')
  const admin = testKafka().admin()
  await admin.connect()
  try {
    // AlterConfigs replaces a topic's whole set of overrides: pass the ones it was created with too.
    await admin.alterConfigs({
      validateOnly: false,
      resources: [
        {
          type: ConfigResourceTypes.TOPIC,
          name: spec.name,
          // One entry per name: the spec's own max.message.bytes is replaced, not repeated.
          configEntries: [
            ...spec.configEntries.filter((e) => !extra.some((x) => x.name === e.name)),
            ...extra,
          ],
        },
      ],
    })
  } finally {
    await admin.disconnect()
  }
}

test('a decisions topic that refuses records for a while loses no stop and crashes nothing', async () => {
  pipeline.sim.actions.publish({ appId: APP, roomId: 'room-orphan', streamId: 'in-orphan', userId: 'host' })
  pipeline.sim.actions.publish({ appId: APP, roomId: 'room-old', streamId: 'in-old', userId: 'host-old' })
  pipeline.sim.actions.publish({ appId: APP, roomId: 'room-new', streamId: 'in-new', userId: 'host-new' })
  await mix('orphan', 'in-orphan', 'out-orphan')
  await mix('old', 'in-old', 'show')
  const ended = ['orphan', 'old'].map((task) => pipeline.taskEnded(APP, task))

  await setDecisionsTopic([{ name: 'max.message.bytes', value: '100' }])
  const refusedAt = Date.now()
  // An orphan whose deadline fires during the refusal (a tick), and a supersession (a batch).
  pipeline.sim.actions.unpublish({ appId: APP, streamId: 'in-orphan' })
  await mix('new', 'in-new', 'show')
  // The refusal is the fault under test, so it lasts a fixed time: long past the orphan's grace.
  await new Promise((resolve) => setTimeout(resolve, REFUSAL_MS))
  expect(pipeline.sim.ledger.stopCalls(APP)).toEqual([])
  await setDecisionsTopic([])
  const restoredAt = Date.now()

  expect((await Promise.all(ended)).map((e) => e.reason)).toEqual(['stopped', 'stopped'])
  expect(pipeline.sim.world.runningTask(APP, 'new')).toBeDefined()
  const stops = pipeline.sim.ledger.stopCalls(APP)
  expect(new Set(stops.map((s) => s.taskId))).toEqual(new Set(['orphan', 'old']))
  expect(stops.every((s) => s.receivedAt >= restoredAt)).toBe(true)
  // The decisions collector reads its own topic and may trail the stops it caused.
  await pipeline.decisions.until(
    'both stop decisions',
    (records) => records.filter((r) => JSON.parse(r.value.toString()).action === 'stop').length >= 2,
  )
  const decided = pipeline.decisions.records.map((r) => JSON.parse(r.value.toString()))
  expect(
    decided
      .filter((d) => d.action === 'stop')
      .map((d) => `${d.taskId}:${d.reason}`)
      .sort(),
  ).toEqual(['old:superseded', 'orphan:orphaned'])
  console.warn(
    `decisions refused for ${restoredAt - refusedAt} ms: both stops landed ${Math.max(...stops.map((s) => s.receivedAt)) - restoredAt} ms after the topic took records again`,
  )
})
