import type { DeadLetter, Decision } from '@mixguard/contracts'
import { createManualTime } from '@mixguard/time'
import { describe, expect, it } from 'vitest'
import { type AppPolicy, type CoreInput, pendingDecisions } from './core/index.ts'
import { tget } from './core/table.ts'
import { APP, closed, created, policyWith, startMix, T0 } from './core/test-kit.ts'
import { OUTCOME_WAIT_MS, RECORDS_PER_TURN, SAVE_DELAY_MS, Shell } from './shell.ts'
import { fakeExecutor, fakeStore, fakeTopic, noConfirmation, records } from './shell-fakes.ts'

const PARTITION = 3

function setup(policyFor: (appId: number) => AppPolicy = noConfirmation) {
  const time = createManualTime(T0)
  const store = fakeStore()
  const decisions = fakeTopic<Decision>()
  const deadLetters = fakeTopic<DeadLetter>()
  const executor = fakeExecutor()
  const failures: unknown[] = []
  /** What the observer was told each coalesced save took. */
  const savedMs: number[] = []
  const shell = new Shell({
    store,
    executor,
    policyFor,
    publishDecisions: (d) => decisions.publish(d),
    publishDeadLetters: (d) => deadLetters.publish(d),
    clock: time.clock,
    timers: time.timers,
    eventsTopic: 'events',
    observer: { inputFailed: (_appId, error) => failures.push(error), saved: (ms) => savedMs.push(ms) },
  })
  return { time, store, decisions, deadLetters, executor, shell, failures, savedMs }
}

/** Two tasks sharing an output: the batch that records the second stops the first at once. */
const supersession = () => [
  startMix({ taskId: 'task-a', at: T0 - 60_000, outputs: ['show'], userId: 'alice' }),
  startMix({ taskId: 'task-b', at: T0 - 1_000, outputs: ['show'], userId: 'bob' }),
]

const stopsOf = (decisions: Decision[]) =>
  decisions.filter((d) => d.action === 'stop').map((d) => `${d.taskId}:${d.reason}`)

/** A task whose only input closes: its orphan deadline is one normal grace later. */
async function orphanPending(s: ReturnType<typeof setup>) {
  await s.shell.assign([PARTITION])
  await s.shell.applyBatch(
    PARTITION,
    records([
      created({ streamId: 's1', at: T0 - 5_000, seq: 1 }),
      startMix({ taskId: 'task-o', at: T0 - 4_000, inputs: ['s1'] }),
      closed({ streamId: 's1', at: T0 - 1_000, seq: 2, receivedAt: T0 }),
    ]),
  )
}

/** The partition's apps as last saved. */
const savedApp = (s: ReturnType<typeof setup>) => s.store.saved.get(PARTITION)?.get(APP)

/** Whether `p` has settled (resolved or rejected) by now. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

describe('Shell: a batch is applied, then saved with the partition’s next save', () => {
  it('a decision publish that fails once loses nothing: the redelivered batch is decided, saved and executed', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    s.decisions.fail = 1
    const batch = records(supersession())
    await expect(s.shell.applyBatch(PARTITION, batch)).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' })
    expect(s.executor.submitted).toEqual([])
    const { saved } = await s.shell.applyBatch(PARTITION, batch)
    expect(stopsOf(s.decisions.records)).toEqual(['task-a:superseded'])
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded'])
    await s.time.advance(SAVE_DELAY_MS)
    await saved
    expect(savedApp(s)?.appliedOffset).toBe('1')
    const app = savedApp(s)
    expect(app && tget(app.state.tasks, 'task-a')?.phase).toBe('stopping')
    s.shell.stop()
  })

  it('a batch is carried out once published, before any save; one save a second covers every batch of it', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    const saves = s.store.saves
    const first = await s.shell.applyBatch(PARTITION, records(supersession()))
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded'])
    await s.time.advance(SAVE_DELAY_MS / 2)
    const second = await s.shell.applyBatch(
      PARTITION,
      records([created({ streamId: 's9', at: T0, seq: 1 }), created({ streamId: 's8', at: T0, seq: 1 })], 2),
    )
    expect(s.store.saves).toBe(saves)
    expect(await settled(first.saved)).toBe(false)
    await s.time.advance(SAVE_DELAY_MS / 2)
    await Promise.all([first.saved, second.saved])
    expect(s.store.saves).toBe(saves + 1)
    expect(savedApp(s)?.appliedOffset).toBe('3')
    // Reported to the observer (the save-time metric), with its time on the shell's clock.
    await s.time.settle()
    expect(s.savedMs).toEqual([0])
    s.shell.stop()
  })

  it('a batch’s save that fails leaves it unsaved until a save lands: only then is it reported saved', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    s.store.failSaves = 1
    const { saved } = await s.shell.applyBatch(PARTITION, records(supersession()))
    await s.time.advance(SAVE_DELAY_MS)
    expect(s.store.saves).toBe(0)
    expect(await settled(saved)).toBe(false)
    // A batch that comes meanwhile is saved with it, by the retry.
    const later = await s.shell.applyBatch(
      PARTITION,
      records([created({ streamId: 's9', at: T0, seq: 1 })], 2),
    )
    await s.time.advance(60_000)
    await Promise.all([saved, later.saved])
    expect(savedApp(s)?.appliedOffset).toBe('2')
    s.shell.stop()
  })

  it('a batch that changed no app (delivered again) is reported saved once the saves before it landed', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    const batch = records(supersession())
    const first = await s.shell.applyBatch(PARTITION, batch)
    const again = await s.shell.applyBatch(PARTITION, batch)
    await s.time.advance(SAVE_DELAY_MS)
    await Promise.all([first.saved, again.saved])
    expect(stopsOf(s.decisions.records)).toEqual(['task-a:superseded'])
    const saves = s.store.saves
    const third = await s.shell.applyBatch(PARTITION, batch)
    await s.time.advance(SAVE_DELAY_MS)
    await third.saved
    expect(s.store.saves).toBe(saves)
    s.shell.stop()
  })

  it('a batch whose partition is dropped before its save is never reported saved', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    const { saved } = await s.shell.applyBatch(PARTITION, records(supersession()))
    s.shell.revoke([PARTITION])
    await expect(saved).rejects.toMatchObject({ code: 'NOT_OWNER' })
    await s.time.advance(SAVE_DELAY_MS)
    expect(s.store.saves).toBe(0)
    s.shell.stop()
  })

  it('a partition taken away while its save encodes is not written, and the batch is never reported saved', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    const { saved } = await s.shell.applyBatch(PARTITION, records(supersession()))
    let encoded = () => {}
    s.store.encoding = new Promise((resolve) => {
      encoded = resolve
    })
    await s.time.advance(SAVE_DELAY_MS)
    // The save began (its partition was ours then) and is encoding when the partition is revoked.
    s.shell.revoke([PARTITION])
    encoded()
    await expect(saved).rejects.toMatchObject({ code: 'NOT_OWNER' })
    expect(s.store.saves).toBe(0)
    s.shell.stop()
  })

  it('a turn whose publish fails: the turns before it stay applied and carried out, and the batch delivered again decides only the rest', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    const filler = Array.from({ length: RECORDS_PER_TURN - 2 }, (_, i) =>
      created({ streamId: `f${i}`, roomId: 'load', at: T0 + i, seq: i + 1 }),
    )
    const later = [
      startMix({ taskId: 'task-c', at: T0 - 60_000, outputs: ['stage'], userId: 'carol' }),
      startMix({ taskId: 'task-d', at: T0 - 1_000, outputs: ['stage'], userId: 'dave' }),
    ]
    const batch = records([...supersession(), ...filler, ...later])
    const publish = s.decisions.publish
    let refused = false
    s.decisions.publish = async (decisions) => {
      if (!refused && decisions.some((d) => d.taskId === 'task-c')) {
        refused = true
        throw Object.assign(new Error('refused'), { code: 'MESSAGE_TOO_LARGE' })
      }
      return publish(decisions)
    }
    const restores = s.store.restores
    await expect(s.shell.applyBatch(PARTITION, batch)).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' })
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded'])
    const { saved } = await s.shell.applyBatch(PARTITION, batch)
    expect(s.store.restores).toBe(restores)
    expect(stopsOf(s.decisions.records)).toEqual(['task-a:superseded', 'task-c:superseded'])
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded', 'task-c:superseded'])
    await s.time.advance(SAVE_DELAY_MS)
    await saved
    expect(savedApp(s)?.appliedOffset).toBe(String(RECORDS_PER_TURN + 1))
    s.shell.stop()
  })

  it('a record that makes deciding throw is dead-lettered with the error and the partition moves on', async () => {
    const BAD_APP = APP + 1
    const s = setup((appId) => {
      if (appId === BAD_APP) throw new Error('policy for 4002 is broken')
      return noConfirmation(appId)
    })
    await s.shell.assign([PARTITION])
    const bad = { ...startMix({ taskId: 'x', at: T0 }), appId: BAD_APP }
    const { saved } = await s.shell.applyBatch(PARTITION, records([bad, ...supersession()]))
    expect(s.deadLetters.records).toEqual([
      expect.objectContaining({
        source: `events[${PARTITION}]@0`,
        appId: BAD_APP,
        reason: expect.stringContaining('policy for 4002 is broken'),
      }),
    ])
    expect(stopsOf(s.decisions.records)).toEqual(['task-a:superseded'])
    await s.time.advance(SAVE_DELAY_MS)
    await saved
    expect(savedApp(s)?.appliedOffset).toBe('2')
    s.shell.stop()
  })
})

describe('Shell: deadlines and feedback', () => {
  it('a tick whose publish fails is retried with backoff: no crash, and the stop still happens', async () => {
    const s = setup()
    await orphanPending(s)
    s.decisions.fail = 3
    await s.time.advance(noConfirmation(APP).graceMs.normal + 5_000)
    expect(s.failures).toHaveLength(3)
    await s.time.advance(60_000)
    expect(stopsOf(s.decisions.records)).toEqual(['task-o:orphaned'])
    expect(stopsOf(s.executor.submitted)).toEqual(['task-o:orphaned'])
    s.shell.stop()
  })

  it('an outcome whose coalesced save fails is saved again, not left unsaved', async () => {
    const s = setup()
    await orphanPending(s)
    await s.time.advance(noConfirmation(APP).graceMs.normal + 5_000)
    const [stop] = s.executor.submitted
    if (!stop) throw new Error('no stop')
    s.store.failSaves = 1
    const fed = s.shell.input(APP, {
      kind: 'outcome',
      outcome: {
        v: 1,
        decisionId: stop.id,
        appId: APP,
        taskId: stop.taskId,
        action: 'StopMix',
        result: 'failed_permanent',
        zegoCode: 1,
        errorCode: 'ZEGO_PERMANENT',
        attempt: 1,
        at: s.time.clock.now(),
      },
    })
    await s.time.advance(60_000)
    await fed
    const app = s.store.saved.get(PARTITION)?.get(APP)
    const saved = app && tget(app.state.tasks, 'task-o')
    const live = [...s.shell.apps()][0]
    expect(saved?.phase).toBe(live && tget(live.state.tasks, 'task-o')?.phase)
    expect(saved?.phase).not.toBe('stopping')
    s.shell.stop()
  })
})

describe('Shell: inputs that wait for the partition', () => {
  // Under load the partition is busy with batches of events; every outcome, observation and deadline
  // that arrives meanwhile waits for it. Applied one by one, each would cost its own decisions publish
  // (a Kafka round trip with acks = all), so the last stop of a burst waited one round trip per input
  // ahead of it. Waiting together, they are decided in order and published in one round trip.
  it('inputs queued behind a batch land together: one publish carries all their stops', async () => {
    const s = setup(() => policyWith({}))
    await s.shell.assign([PARTITION])
    const rooms = ['r1', 'r2', 'r3']
    await s.shell.applyBatch(
      PARTITION,
      records(
        rooms.flatMap((room, i) => [
          created({ streamId: `in-${room}`, roomId: room, at: T0 - 5_000, seq: 1 }),
          startMix({ taskId: `task-${room}`, at: T0 - 4_000, inputs: [`in-${room}`], roomId: room }),
          closed({ streamId: `in-${room}`, roomId: room, at: T0 - 1_000, seq: 2, receivedAt: T0 + i }),
        ]),
      ),
    )
    // The deadline passes: each orphan's room is listed before it is stopped.
    await s.time.advance(policyWith({}).graceMs.normal + 1_000)
    expect(s.executor.submitted.filter((d) => d.action === 'verify')).toHaveLength(rooms.length)
    // A batch holds the partition (its dead letter's publish is slow) while the three rooms' lists come
    // back empty.
    let release = () => {}
    const slowPublish = new Promise<void>((resolve) => {
      release = resolve
    })
    const publishDeadLetters = s.deadLetters.publish
    s.deadLetters.publish = async (letters) => {
      await slowPublish
      return publishDeadLetters(letters)
    }
    const batch = s.shell.applyBatch(PARTITION, [{ offset: '9', value: Buffer.from('not an event') }])
    await s.time.settle()
    const observedAt = s.time.clock.now()
    const landed = rooms.map((roomId) =>
      s.shell.input(APP, { kind: 'room_streams', roomId, streamIds: [], observedAt }),
    )
    const publishes = s.decisions.publishes
    release()
    await Promise.all([batch, ...landed])
    expect(stopsOf(s.decisions.records)).toEqual(['task-r1:orphaned', 'task-r2:orphaned', 'task-r3:orphaned'])
    expect(s.decisions.publishes - publishes).toBe(1)
    expect(stopsOf(s.executor.submitted)).toEqual(stopsOf(s.decisions.records))
    s.shell.stop()
  })
})

/** Orphans in `rooms` whose deadlines passed: their rooms' lists are asked. */
async function listsAsked(s: ReturnType<typeof setup>, rooms: string[]) {
  await s.shell.assign([PARTITION])
  await s.shell.applyBatch(
    PARTITION,
    records(
      rooms.flatMap((room) => [
        created({ streamId: `in-${room}`, roomId: room, at: T0 - 5_000, seq: 1 }),
        startMix({ taskId: `task-${room}`, at: T0 - 4_000, inputs: [`in-${room}`], roomId: room }),
        closed({ streamId: `in-${room}`, roomId: room, at: T0 - 1_000, seq: 2, receivedAt: T0 }),
      ]),
    ),
  )
  await s.time.advance(policyWith({}).graceMs.normal + 1_000)
  const verifies = s.executor.submitted.filter((d) => d.action === 'verify')
  expect(verifies).toHaveLength(rooms.length)
  return verifies
}

describe('Shell: a batch does not hold deadlines and answers back', () => {
  /** A gate: `wait` resolves once `open` is called. */
  function gate() {
    let open = () => {}
    const wait = new Promise<void>((resolve) => {
      open = resolve
    })
    return { wait, open }
  }

  it('an input lands while a batch’s state is being saved, and the next batch is applied meanwhile', async () => {
    const s = setup()
    await orphanPending(s)
    const slow = gate()
    const save = s.store.save
    s.store.save = async (partition, apps) => {
      await slow.wait
      return save(partition, apps)
    }
    const { saved } = await s.shell.applyBatch(PARTITION, records(supersession(), 3))
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded'])
    // The orphan's deadline passes while the save is under way: its stop is decided and carried out.
    await s.time.advance(noConfirmation(APP).graceMs.normal + 5_000)
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded', 'task-o:orphaned'])
    const later = [
      startMix({ taskId: 'task-c', at: T0 - 60_000, outputs: ['stage'], userId: 'carol' }),
      startMix({ taskId: 'task-d', at: T0 - 1_000, outputs: ['stage'], userId: 'dave' }),
    ]
    const next = await s.shell.applyBatch(PARTITION, records(later, 5))
    expect(stopsOf(s.executor.submitted)).toEqual([
      'task-a:superseded',
      'task-o:orphaned',
      'task-c:superseded',
    ])
    expect(await settled(saved)).toBe(false)
    slow.open()
    await saved
    expect(savedApp(s)?.appliedOffset).toBe('4')
    await s.time.advance(SAVE_DELAY_MS)
    await next.saved
    expect(savedApp(s)?.appliedOffset).toBe('6')
    s.shell.stop()
  })

  it(`a batch is decided in turns of ${RECORDS_PER_TURN} records: a deadline that comes during one is decided before the next`, async () => {
    const s = setup()
    await orphanPending(s)
    const filler = Array.from({ length: RECORDS_PER_TURN }, (_, i) =>
      created({ streamId: `f${i}`, roomId: 'load', at: T0 + i, seq: i + 1 }),
    )
    const later = [
      startMix({ taskId: 'task-c', at: T0 - 60_000, outputs: ['stage'], userId: 'carol' }),
      startMix({ taskId: 'task-d', at: T0 - 1_000, outputs: ['stage'], userId: 'dave' }),
    ]
    // The first turn's publish is slow; the orphan's deadline passes meanwhile.
    const slow = gate()
    const publish = s.decisions.publish
    s.decisions.publish = async (decisions) => {
      if (decisions.some((d) => d.taskId === 'task-a')) await slow.wait
      return publish(decisions)
    }
    const batch = s.shell.applyBatch(PARTITION, records([...supersession(), ...filler, ...later], 3))
    await s.time.advance(noConfirmation(APP).graceMs.normal + 5_000)
    slow.open()
    await batch
    expect(stopsOf(s.decisions.records)).toEqual([
      'task-a:superseded',
      'task-o:orphaned',
      'task-c:superseded',
    ])
    s.shell.stop()
  })

  // Timers and ZEGO's answers reach the process as tasks of the event loop: a batch whose turns and
  // save never let the loop run would keep them out until its very end, turns or not.
  describe('an answer that reaches the process during a batch’s first turn', () => {
    /** An orphan whose room list is asked; the list comes back (a socket's data) during task-a's publish. */
    async function listAnsweredDuringTurn(s: ReturnType<typeof setup>) {
      await listsAsked(s, ['r1'])
      const seen = { savesBefore: s.store.saves, savesWhenAnswered: -1 }
      const observedAt = s.time.clock.now()
      const publish = s.decisions.publish
      s.decisions.publish = async (decisions) => {
        if (decisions.some((d) => d.taskId === 'task-a'))
          setImmediate(() => {
            seen.savesWhenAnswered = s.store.saves
            void s.shell.input(APP, { kind: 'room_streams', roomId: 'r1', streamIds: [], observedAt })
          })
        return publish(decisions)
      }
      return seen
    }

    it('is decided before the batch’s next turn', async () => {
      const s = setup(() => policyWith({}))
      const seen = await listAnsweredDuringTurn(s)
      const filler = Array.from({ length: RECORDS_PER_TURN }, (_, i) =>
        created({ streamId: `f${i}`, roomId: 'load', at: T0 + i, seq: i + 1 }),
      )
      const later = [
        startMix({ taskId: 'task-c', at: T0 - 60_000, outputs: ['stage'], userId: 'carol' }),
        startMix({ taskId: 'task-d', at: T0 - 1_000, outputs: ['stage'], userId: 'dave' }),
      ]
      await s.shell.applyBatch(PARTITION, records([...supersession(), ...filler, ...later], 3))
      await s.time.settle()
      expect(seen.savesWhenAnswered).toBe(seen.savesBefore)
      expect(stopsOf(s.decisions.records)).toEqual([
        'task-a:superseded',
        'task-r1:orphaned',
        'task-c:superseded',
      ])
      s.shell.stop()
    })

    it('of one turn only is decided before the batch’s state is encoded and saved', async () => {
      const s = setup(() => policyWith({}))
      const seen = await listAnsweredDuringTurn(s)
      await s.shell.applyBatch(PARTITION, records(supersession(), 3))
      await s.time.settle()
      expect(seen.savesWhenAnswered).toBe(seen.savesBefore)
      expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded', 'task-r1:orphaned'])
      expect(s.store.saves).toBe(seen.savesBefore)
      s.shell.stop()
    })
  })
})

describe('Shell: an answer decided on before its outcome is durable', () => {
  const emptyList = (s: ReturnType<typeof setup>, roomId: string): CoreInput => ({
    kind: 'room_streams',
    roomId,
    streamIds: [],
    observedAt: s.time.clock.now(),
  })

  it('its stop is published at once but carried out only once the outcome is durable', async () => {
    const s = setup(() => policyWith({}))
    await listsAsked(s, ['r1', 'r2'])
    let land = () => {}
    const recorded = new Promise<void>((resolve) => {
      land = resolve
    })
    const fed = s.shell.input(APP, emptyList(s, 'r1'), recorded)
    await s.time.settle()
    expect(stopsOf(s.decisions.records)).toEqual(['task-r1:orphaned'])
    expect(stopsOf(s.executor.submitted)).toEqual([])
    land()
    await fed
    expect(stopsOf(s.executor.submitted)).toEqual(['task-r1:orphaned'])
    s.shell.stop()
  })

  it('whose outcome is slow to land does not hold the partition: batches go on, and it lands later', async () => {
    const s = setup(() => policyWith({}))
    await listsAsked(s, ['r1'])
    let land = () => {}
    const recorded = new Promise<void>((resolve) => {
      land = resolve
    })
    // The outcomes topic refuses records for a while: the recording is retried, not lost.
    const fed = s.shell.input(APP, emptyList(s, 'r1'), recorded)
    await s.time.advance(OUTCOME_WAIT_MS + 1)
    let batchDone = false
    void s.shell.applyBatch(PARTITION, records(supersession(), 9)).then(() => {
      batchDone = true
    })
    await s.time.advance(1)
    expect(batchDone).toBe(true)
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded'])
    land()
    await s.time.advance(60_000)
    await fed
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded', 'task-r1:orphaned'])
    s.shell.stop()
  })

  it('whose outcome never lands is not applied, and the inputs waiting with it still are', async () => {
    const s = setup(() => policyWith({}))
    const [r1] = await listsAsked(s, ['r1', 'r2'])
    // The partition is busy with a batch, so both rooms' answers wait for it together.
    let release = () => {}
    const busy = new Promise<void>((resolve) => {
      release = resolve
    })
    const publish = s.decisions.publish
    s.decisions.publish = async (decisions) => {
      await busy
      return publish(decisions)
    }
    const batch = s.shell.applyBatch(PARTITION, records(supersession(), 9))
    const lost = Promise.reject(new Error('closing: the outcome was not recorded'))
    lost.catch(() => {})
    const fed = [
      s.shell.input(APP, emptyList(s, 'r1'), lost),
      s.shell.input(APP, emptyList(s, 'r2'), Promise.resolve()),
    ]
    release()
    await batch
    // The group is tried again, after a backoff, without the answer whose outcome was lost.
    await s.time.advance(1_000)
    await Promise.all(fed)
    // No stop rests on a list whose outcome is not on Kafka: r1's check is still pending.
    expect(stopsOf(s.executor.submitted)).toEqual(['task-a:superseded', 'task-r2:orphaned'])
    const [app] = [...s.shell.apps()]
    expect(app && pendingDecisions(app.state).map((d) => d.id)).toContain(r1?.id)
    s.shell.stop()
  })
})

describe('Shell: ownership', () => {
  it('a suspended partition fires no deadline, cancels its calls and refuses to write; resuming re-arms it', async () => {
    const s = setup()
    await orphanPending(s)
    s.shell.suspend()
    expect(s.executor.cancelled).toEqual([APP])
    await s.time.advance(noConfirmation(APP).graceMs.normal + 5_000)
    expect(s.decisions.records.filter((d) => d.action === 'stop')).toEqual([])
    await expect(s.shell.applyBatch(PARTITION, records(supersession(), 3))).rejects.toMatchObject({
      code: 'NOT_OWNER',
    })
    await s.shell.assign([PARTITION])
    await s.time.advance(1)
    expect(stopsOf(s.executor.submitted)).toEqual(['task-o:orphaned'])
    s.shell.stop()
  })

  it('a partition the changelog shows another member wrote is restored, not kept', async () => {
    const s = setup()
    await s.shell.assign([PARTITION])
    await s.shell.applyBatch(PARTITION, records([created({ streamId: 's1', at: T0 - 5_000, seq: 1 })]))
    s.shell.suspend()
    s.store.unchanged = async () => new Set()
    const restores = s.store.restores
    await s.shell.assign([PARTITION])
    expect(s.store.restores).toBe(restores + 1)
  })
})
