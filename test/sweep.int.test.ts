import { afterAll, beforeAll, expect, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'

// 4 simulated seconds per real second. The reconciler's pacing and graces run on the simulated clock,
// and so does the simulator's per-room list interval (ZEGO's 10 s); the per-AppId rates (the
// simulator's and our budget's) are real ones, which only makes the budget tighter here.
const SCALE = 4
const APP = 4301
const ROOMS = 101
const ORPHAN = 'task-0'
/** The customer's MaxIdleTime: a long one, so that ZEGO alone would bill the orphan for an hour. */
const MAX_IDLE_SEC = 3_600

let pipeline: Pipeline
beforeAll(async () => {
  // The default policy: the room sweep and the stream-list confirmation on.
  pipeline = await startPipeline({ scale: SCALE, apps: [{ appId: APP }] })
})
afterAll(() => pipeline?.close())

const sweptRooms = (records: { value: Buffer }[]) =>
  new Set(
    records
      .map((r) => JSON.parse(r.value.toString()))
      .filter((d) => d.rule === 'room_sweep')
      .map((d) => d.evidence.note),
  )

test('an input whose stream_close is lost for good: the sweep finds it, the task is stopped within 60 s, no live task in 100 other rooms is touched', async () => {
  const customer = pipeline.customer(APP)
  for (let i = 0; i < ROOMS; i++) {
    pipeline.sim.actions.publish({
      appId: APP,
      roomId: `room-${i}`,
      streamId: `in-${i}`,
      userId: `host-${i}`,
    })
    const started = await customer.startMix({
      TaskId: `task-${i}`,
      UserId: `mixer-${i}`,
      RoomId: `room-${i}`,
      MixInput: [{ StreamId: `in-${i}` }],
      MixOutput: [{ StreamId: `out-${i}` }],
      MaxIdleTime: MAX_IDLE_SEC,
    })
    expect(started.ok).toBe(true)
  }
  // The sweep has reached every room once: the reconciler knows every task and lists their rooms.
  await pipeline.decisions.until('every room swept', (records) => sweptRooms(records).size >= ROOMS)

  const ended = pipeline.taskEnded(APP, ORPHAN)
  pipeline.sim.switches.chaos.dropFraction = 1
  pipeline.sim.actions.unpublish({ appId: APP, streamId: 'in-0' })
  pipeline.sim.switches.chaos.dropFraction = 0
  const inputEndedAt = pipeline.sim.clock.now()
  const [close] = pipeline.sim.callbacks.deliveries({ appId: APP, event: 'stream_close' })
  expect(close?.status).toBe('lost')

  // Without the sweep only the silent-task check (10 min) or ZEGO's MaxIdleTime (1 h) would end it.
  const tooLate = new Promise<null>((resolve) => pipeline.sim.clock.setTimer(120_000, () => resolve(null)))
  const end = await Promise.race([ended, tooLate])
  expect(end, 'not stopped within 120 s of its input end').not.toBeNull()
  if (end === null) return
  expect(end.reason).toBe('stopped')
  const tookMs = end.at - inputEndedAt
  console.warn(
    `orphan with a lost stream_close stopped ${(tookMs / 1000).toFixed(1)} s after its input ended`,
  )
  expect(tookMs).toBeLessThanOrEqual(60_000)

  // The stop rests on the lists: found absent by the sweep, confirmed by a second list after the grace.
  await pipeline.decisions.until('the stop decision', (records) =>
    records.some((r) => JSON.parse(r.value.toString()).action === 'stop'),
  )
  const decisions = pipeline.decisions.records.map((r) => JSON.parse(r.value.toString()))
  const stops = decisions.filter((d) => d.action === 'stop')
  expect(stops).toMatchObject([{ taskId: ORPHAN, reason: 'orphaned', rule: 'grace:observed_absent' }])
  expect(
    stops[0].evidence.eventIds.filter((id: string) => id.startsWith('room_streams:room-0@')),
  ).toHaveLength(2)

  // Another full cycle later, the 100 live tasks still run, none was ever stopped, and ZEGO never
  // answered a list with a rate-limit code.
  const swept = decisions.filter((d) => d.rule === 'room_sweep').length
  await pipeline.decisions.until(
    'another sweep cycle',
    (records) =>
      records.filter((r) => JSON.parse(r.value.toString()).rule === 'room_sweep').length >= swept + ROOMS,
  )
  expect(pipeline.sim.ledger.stopCalls(APP).map((c) => c.taskId)).toEqual([ORPHAN])
  for (let i = 1; i < ROOMS; i++) expect(pipeline.sim.world.runningTask(APP, `task-${i}`)).toBeDefined()
  expect(pipeline.sim.ledger.overloads()).toEqual({})
})
