import type { CommandDecision, DeadLetter, Decision, Outcome } from '@mixguard/contracts'
import { createManualTime } from '@mixguard/time'
import type { ZegoClient } from '@mixguard/zego-api'
import { describe, expect, it } from 'vitest'
import { createExecutor } from './adapters/executor.ts'
import { APP, closed, created, policyWith, startMix, T0 } from './core/test-kit.ts'
import { Shell } from './shell.ts'
import { fakeStore, fakeTopic, records } from './shell-fakes.ts'

// The shell and the real executor together, ZEGO and the decisions topic faked: a room list (a read)
// goes out while the decision asking for it is being published, and nothing is taken from its answer
// before that publish landed. A StopMix (a write) waits for its decision as ever.

const PARTITION = 3
const GRACE_MS = policyWith({}).graceMs.normal

/** ZEGO: every call with the time it reached ZEGO; a room list answers at once, with no stream. */
function fakeZego(now: () => number) {
  const calls: { action: string; at: number }[] = []
  const client = {
    appId: APP,
    async describeSimpleStreamList() {
      calls.push({ action: 'DescribeSimpleStreamList', at: now() })
      return { ok: true as const, data: { StreamList: [] }, requestId: 'r' }
    },
    async stopMix() {
      calls.push({ action: 'StopMix', at: now() })
      return { ok: true as const, data: undefined, requestId: 'r' }
    },
  } as unknown as ZegoClient
  return { client, calls, of: (action: string) => calls.filter((c) => c.action === action) }
}

interface Held {
  decisions: CommandDecision[]
  land: () => void
  refuse: () => void
}

/** A decisions topic that holds open the publishes `hold` picks, until the test lands or refuses each. */
function holdingTopic() {
  const topic = {
    records: [] as Decision[],
    hold: (_decisions: CommandDecision[]) => false,
    held: [] as Held[],
    publish(decisions: CommandDecision[]): Promise<void> {
      if (!topic.hold(decisions)) {
        topic.records.push(...decisions)
        return Promise.resolve()
      }
      return new Promise((resolve, reject) => {
        topic.held.push({
          decisions,
          land: () => {
            topic.records.push(...decisions)
            resolve()
          },
          refuse: () => reject(Object.assign(new Error('refused'), { code: 'MESSAGE_TOO_LARGE' })),
        })
      })
    },
  }
  return topic
}

function setup() {
  const time = createManualTime(T0)
  const zego = fakeZego(time.clock.now)
  const decisions = holdingTopic()
  const outcomes: Outcome[] = []
  let shell: Shell | undefined
  const executor = createExecutor({
    clientFor: () => zego.client,
    clock: time.clock,
    timers: time.timers,
    random: () => 0.5,
    record: async (outcome) => {
      outcomes.push(outcome)
    },
    feedback: (appId, input, recorded) => shell?.input(appId, input, recorded) ?? Promise.resolve(),
  })
  shell = new Shell({
    store: fakeStore(),
    executor,
    policyFor: () => policyWith({}),
    publishDecisions: (d) => decisions.publish(d),
    publishDeadLetters: (d) => fakeTopic<DeadLetter>().publish(d),
    clock: time.clock,
    timers: time.timers,
    eventsTopic: 'events',
  })
  return { time, zego, decisions, outcomes, executor, shell }
}

const isList = (d: Decision) => d.command?.call === 'DescribeSimpleStreamList'
const isStop = (d: Decision) => d.command?.call === 'StopMix'
const stopsOf = (decisions: Decision[]) => decisions.filter((d) => d.action === 'stop').map((d) => d.taskId)

/** An orphan in room r1: its only input closed at T0, its grace ends GRACE_MS later. */
async function orphanInR1(s: ReturnType<typeof setup>): Promise<void> {
  await s.shell.assign([PARTITION])
  await s.shell.applyBatch(
    PARTITION,
    records([
      created({ streamId: 's1', roomId: 'r1', at: T0 - 5_000, seq: 1 }),
      startMix({ taskId: 'task-o', at: T0 - 4_000, inputs: ['s1'], roomId: 'r1' }),
      closed({ streamId: 's1', roomId: 'r1', at: T0 - 1_000, seq: 2, receivedAt: T0 }),
    ]),
  )
}

/** The orphan's grace ends: the tick decides r1's list, whose publish is held. */
async function listDecided(s: ReturnType<typeof setup>): Promise<Held> {
  await orphanInR1(s)
  s.decisions.hold = (decisions) => decisions.some(isList)
  await s.time.advance(GRACE_MS + 1_000)
  const [held] = s.decisions.held
  if (held === undefined) throw new Error('no room list was decided')
  expect(held.decisions.filter(isList).map((d) => d.evidence.note)).toEqual(['r1'])
  return held
}

describe('a room list is sent while its decision is being published', () => {
  it('goes out before the publish lands', async () => {
    const s = setup()
    await listDecided(s)
    expect(s.zego.of('DescribeSimpleStreamList')).toHaveLength(1)
    expect(s.decisions.records.filter(isList)).toEqual([])
    s.shell.stop()
  })

  it('its answer is neither recorded nor fed before the publish lands; then it is, dated when ZEGO answered', async () => {
    const s = setup()
    const held = await listDecided(s)
    const [list] = s.zego.of('DescribeSimpleStreamList')
    expect(list).toBeDefined()
    // ZEGO has answered; the publish is still open, and stays open a while.
    await s.time.advance(300)
    expect(s.outcomes).toEqual([])
    expect(stopsOf(s.decisions.records)).toEqual([])
    expect(s.zego.of('StopMix')).toEqual([])
    held.land()
    await s.time.settle()
    expect(s.outcomes.filter((o) => o.action === 'DescribeSimpleStreamList')).toMatchObject([
      { result: 'observed', at: list?.at },
    ])
    // The answer (no stream in r1) confirmed the orphan: its stop is decided, published and sent.
    expect(stopsOf(s.decisions.records)).toEqual(['task-o'])
    expect(s.zego.of('StopMix')).toHaveLength(1)
    s.shell.stop()
  })

  it('a publish that fails drops its answer: nothing recorded or acted on; the retried decision asks again', async () => {
    const s = setup()
    const held = await listDecided(s)
    expect(s.zego.of('DescribeSimpleStreamList')).toHaveLength(1)
    s.decisions.hold = () => false
    held.refuse()
    await s.time.settle()
    expect(s.outcomes).toEqual([])
    expect(stopsOf(s.decisions.records)).toEqual([])
    expect(s.zego.of('StopMix')).toEqual([])
    // The tick is tried again after its backoff: the same decision, published this time, asks again.
    await s.time.advance(1_000)
    const lists = s.zego.of('DescribeSimpleStreamList')
    expect(lists).toHaveLength(2)
    expect(s.decisions.records.filter(isList).map((d) => d.evidence.note)).toEqual(['r1'])
    expect(s.outcomes.filter((o) => o.action === 'DescribeSimpleStreamList')).toMatchObject([
      { result: 'observed', at: lists[1]?.at },
    ])
    expect(s.zego.of('StopMix')).toHaveLength(1)
    s.shell.stop()
  })

  it('its answer waits also for the outcomes its turn was decided on', async () => {
    const s = setup()
    await orphanInR1(s)
    let recorded = () => {}
    const recording = new Promise<void>((resolve) => {
      recorded = resolve
    })
    // The deadline fires, and an answer whose outcome is still being recorded joins its turn.
    s.time.advanceSync(GRACE_MS + 1_000)
    const observedAt = s.time.clock.now()
    void s.shell.input(APP, { kind: 'room_streams', roomId: 'r9', streamIds: [], observedAt }, recording)
    await s.time.settle()
    expect(s.decisions.records.filter(isList).map((d) => d.evidence.note)).toEqual(['r1'])
    expect(s.zego.of('DescribeSimpleStreamList')).toHaveLength(1)
    await s.time.advance(300)
    expect(s.outcomes).toEqual([])
    expect(s.zego.of('StopMix')).toEqual([])
    recorded()
    await s.time.settle()
    expect(s.outcomes.filter((o) => o.action === 'DescribeSimpleStreamList')).toHaveLength(1)
    expect(s.zego.of('StopMix')).toHaveLength(1)
    s.shell.stop()
  })

  it('a StopMix is never sent before its decision landed', async () => {
    const s = setup()
    const held = await listDecided(s)
    s.decisions.hold = (decisions) => decisions.some(isStop)
    held.land()
    await s.time.advance(300)
    const stop = s.decisions.held.find((h) => h.decisions.some(isStop))
    expect(stop).toBeDefined()
    expect(s.zego.of('StopMix')).toEqual([])
    stop?.land()
    await s.time.settle()
    expect(s.zego.of('StopMix')).toHaveLength(1)
    s.shell.stop()
  })
})
