import { topicName } from '@mixguard/contracts'
import { parseAppState, tget } from '@mixguard/reconciler/core'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import { changelogText } from './changelog-text.ts'
import { collectTopic, testKafka } from './kafka.ts'
import { type Pipeline, startPipeline } from './pipeline.ts'
import { spawnReconciler } from './service-process.ts'

// The reconciler runs as its own process on the real clock, so the simulator runs at scale 1 too.
const APP = 4401
const GRACE_MS = 3_000
const TASKS = ['kill-a', 'kill-b', 'kill-c']

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: 1,
    reconcilers: 0,
    apps: [{ appId: APP, policy: { graceMs: { normal: GRACE_MS } } }],
  })
})
afterAll(() => pipeline?.close())

test('SIGKILL with deadlines pending: after a restart the overdue deadlines fire and no decision is lost', async () => {
  const first = spawnReconciler(pipeline.reconcilerEnv)
  onTestFinished(() => void first.kill('SIGKILL'))
  await first.line((l) => l.msg === 'joined the consumer group')
  const changelog = await collectTopic(testKafka(), topicName('reconciler-state', pipeline.prefix))
  onTestFinished(() => changelog.stop())

  for (const task of TASKS) {
    pipeline.sim.actions.publish({ appId: APP, roomId: `room-${task}`, streamId: `in-${task}`, userId: task })
    const started = await pipeline.customer(APP).startMix({
      TaskId: task,
      UserId: `mixer-${task}`,
      RoomId: `room-${task}`,
      MixInput: [{ StreamId: `in-${task}` }],
      MixOutput: [{ StreamId: `out-${task}` }],
    })
    expect(started.ok).toBe(true)
  }
  const ends = TASKS.map((task) => pipeline.taskEnded(APP, task))
  for (const task of TASKS) pipeline.sim.actions.unpublish({ appId: APP, streamId: `in-${task}` })

  // Saved state shows every task running with its orphan deadline armed: kill the reconciler now.
  let deadlines: number[] = []
  await changelog.until('all three orphan deadlines saved', (records) => {
    const last = records.at(-1)
    if (!last) return false
    const state = parseAppState(JSON.parse(changelogText(last.value)).state)
    if (!state) return false
    const tasks = TASKS.map((t) => tget(state.tasks, t))
    if (!tasks.every((t) => t?.phase === 'running' && t.due.stopAt !== null)) return false
    deadlines = tasks.map((t) => t?.due.stopAt as number)
    return true
  })
  expect(await first.kill('SIGKILL')).toBe(null)
  expect(pipeline.sim.ledger.stopCalls(APP)).toEqual([])

  // Down past every deadline (the outage is the point of the test, so this waits on the clock).
  const overdueAt = Math.max(...deadlines) + 500
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, overdueAt - Date.now())))
  expect(TASKS.every((t) => pipeline.sim.world.runningTask(APP, t) !== undefined)).toBe(true)

  const second = spawnReconciler(pipeline.reconcilerEnv)
  onTestFinished(() => void second.kill('SIGTERM'))
  const restarted = Date.now()
  const ended = await Promise.all(ends)
  expect(ended.map((e) => e.reason)).toEqual(['stopped', 'stopped', 'stopped'])
  const stops = pipeline.sim.ledger.stopCalls(APP)
  expect(stops.map((s) => s.taskId).sort()).toEqual([...TASKS].sort())
  expect(stops.every((s) => s.receivedAt >= restarted)).toBe(true)

  // One stop decision per task, written before its call, and one outcome for it.
  await pipeline.outcomes.until(
    'three StopMix outcomes',
    (records) => records.filter((r) => JSON.parse(r.value.toString()).action === 'StopMix').length >= 3,
  )
  // Each collector reads its own topic: the decisions may reach theirs later than the outcomes do.
  await pipeline.decisions.until(
    'three stop decisions',
    (records) => records.filter((r) => JSON.parse(r.value.toString()).action === 'stop').length >= 3,
  )
  const decisions = pipeline.decisions.records.map((r) => JSON.parse(r.value.toString()))
  const stopDecisions = decisions.filter((d) => d.action === 'stop')
  expect(new Set(stopDecisions.map((d) => d.taskId))).toEqual(new Set(TASKS))
  expect(new Set(stopDecisions.map((d) => d.id)).size).toBe(TASKS.length)
  const outcomes = pipeline.outcomes.records.map((r) => JSON.parse(r.value.toString()))
  for (const d of stopDecisions) {
    expect(outcomes.filter((o) => o.decisionId === d.id).map((o) => o.result)).toContain('stopped')
  }
  console.warn(
    `restart: overdue deadlines fired ${Math.max(...stops.map((s) => s.receivedAt)) - restarted} ms after the new process started`,
  )
})
