import { appKey, encodeEvent, topicName, topicSpecs } from '@mixguard/contracts'
import { createIdempotentProducer, ensureTopics } from '@mixguard/kafka'
import { createManualTime } from '@mixguard/time'
import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import { testKafka, uniqueName } from '../../../../test/kafka.ts'
import { waitFor } from '../../../../test/wait-for.ts'
import { parseAppState } from '../core/index.ts'
import { APP, startMix, T0 } from '../core/test-kit.ts'
import { SAVE_DELAY_MS, Shell } from '../shell.ts'
import { fakeExecutor, noConfirmation } from '../shell-fakes.ts'
import { createKafkaSource, type GroupTiming } from './kafka-source.ts'
import { createKafkaStateStore } from './state-store.ts'

const kafka = testKafka()
const prefix = uniqueName('source')
const TIMING: GroupTiming = { sessionTimeoutMs: 6_000, heartbeatIntervalMs: 500, rebalanceTimeoutMs: 10_000 }

/** A shell's options apart from its store: no calls, no publishes, the real clock and timers. */
const offline = () => ({
  executor: fakeExecutor(),
  policyFor: noConfirmation,
  publishDecisions: async () => {},
  publishDeadLetters: async () => {},
  clock: { now: () => Date.now() },
  timers: {
    setTimeout: (f: () => void, ms: number) => setTimeout(f, ms),
    clearTimeout: (h: unknown) => clearTimeout(h as NodeJS.Timeout),
  },
})

beforeAll(() => ensureTopics(kafka, topicSpecs(prefix)))
afterAll(async () => {
  const admin = kafka.admin()
  await admin.connect()
  await admin.deleteTopics({ topics: topicSpecs(prefix).map((t) => t.name) }).catch(() => {})
  await admin.disconnect()
})

test('a restore longer than the session timeout keeps the member in the group (heartbeats go on)', async () => {
  const producer = createIdempotentProducer(kafka)
  await producer.connect()
  onTestFinished(() => producer.disconnect())
  await producer.send({
    topic: topicName('events', prefix),
    acks: -1,
    messages: [{ key: appKey(APP), value: encodeEvent(startMix({ taskId: 'task-a', at: T0 })) }],
  })

  // The restore waits until the test lets it go: longer than any session timeout we might run with.
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  const store = createKafkaStateStore({
    kafka,
    producer,
    topic: topicName('reconciler-state', prefix),
    parse: parseAppState,
  })
  let applied = 0
  let appliedOnce: () => void = () => {}
  const appliedBatch = new Promise<void>((resolve) => {
    appliedOnce = resolve
  })
  const shell: Shell = new Shell({
    store: { ...store, restore: async (partitions) => gate.then(() => store.restore(partitions)) },
    ...offline(),
    eventsTopic: topicName('events', prefix),
    canWrite: (p) => source.holds(p),
    observer: {
      eventsApplied: (count) => {
        applied += count
        if (applied > 0) appliedOnce()
      },
    },
  })
  onTestFinished(() => shell.stop())
  const groupId = uniqueName('group')
  const source = createKafkaSource({
    kafka,
    groupId,
    topic: topicName('events', prefix),
    shell,
    timing: TIMING,
  })
  const members: string[] = []
  source.consumer.on(source.consumer.events.GROUP_JOIN, ({ payload }) => members.push(payload.memberId))
  await source.start()
  onTestFinished(() => source.stop())

  // The long restore is the subject of the test, so it lasts a fixed real time (two session timeouts
  // of the previous default, 10 s): the coordinator would have dropped a member that sent nothing.
  await new Promise((resolve) => setTimeout(resolve, 12_000))
  release()
  await appliedBatch
  // Committed by the member that fetched the batch, in its generation: it was never dropped.
  const admin = kafka.admin()
  await admin.connect()
  onTestFinished(() => admin.disconnect())
  await waitFor('the batch committed', async () => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topicName('events', prefix)] })
    return offsets?.partitions.some((p) => p.offset === '1') === true
  })
  expect(applied).toBe(1)
  // kafkajs also rejoins (same member) when its metadata of a fresh topic is stale; a member the
  // coordinator dropped would have come back under a new member id.
  expect(new Set(members).size).toBe(1)
})

test('a batch’s offsets are committed only once a save of the state covering it landed', async () => {
  const producer = createIdempotentProducer(kafka)
  await producer.connect()
  onTestFinished(() => producer.disconnect())
  const topic = topicName('events', prefix)
  // A partition of its own is not needed: the group is new, so nothing of the first test is committed.
  await producer.send({
    topic,
    acks: -1,
    messages: [{ key: appKey(APP), value: encodeEvent(startMix({ taskId: 'task-s', at: T0 })) }],
  })
  const store = createKafkaStateStore({
    kafka,
    producer,
    topic: topicName('reconciler-state', prefix),
    parse: parseAppState,
  })
  // The state's save waits until the test lets it go.
  let release: () => void = () => {}
  const gate = new Promise<void>((resolve) => {
    release = resolve
  })
  let saving: () => void = () => {}
  const saveAsked = new Promise<void>((resolve) => {
    saving = resolve
  })
  const shell: Shell = new Shell({
    store: {
      ...store,
      save: async (...args) => {
        saving()
        await gate
        return store.save(...args)
      },
    },
    ...offline(),
    eventsTopic: topic,
    canWrite: (p) => source.holds(p),
  })
  onTestFinished(() => shell.stop())
  const groupId = uniqueName('group')
  const source = createKafkaSource({ kafka, groupId, topic, shell, timing: TIMING })
  await source.start()
  onTestFinished(() => source.stop())
  const admin = kafka.admin()
  await admin.connect()
  onTestFinished(() => admin.disconnect())
  const committed = async () => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return (offsets?.partitions ?? []).filter((p) => p.offset !== '-1').map((p) => p.offset)
  }
  // Applied (every batch of the topic), and its save under way: nothing committed yet.
  await saveAsked
  await waitFor('the batches applied', async () => [...shell.apps()].some((a) => a.appliedOffset !== null))
  expect(await committed()).toEqual([])
  release()
  await waitFor('the batch committed', async () => (await committed()).length > 0)
})

test('a save that covers several batches commits their offsets once, the highest', async () => {
  // Topics of its own: the group reads its events topic from the start, and only these three records.
  const own = uniqueName('commits')
  await ensureTopics(kafka, topicSpecs(own))
  const producer = createIdempotentProducer(kafka)
  await producer.connect()
  onTestFinished(() => producer.disconnect())
  const topic = topicName('events', own)
  const store = createKafkaStateStore({
    kafka,
    producer,
    topic: topicName('reconciler-state', own),
    parse: parseAppState,
  })
  // The shell's saves wait for the test's clock; the consumer runs on the real one.
  const time = createManualTime(T0)
  let applied = 0
  const shell: Shell = new Shell({
    store,
    ...offline(),
    clock: time.clock,
    timers: time.timers,
    eventsTopic: topic,
    canWrite: (p) => source.holds(p),
    observer: {
      eventsApplied: (count) => {
        applied += count
      },
    },
  })
  onTestFinished(() => shell.stop())
  const groupId = uniqueName('group')
  const source = createKafkaSource({ kafka, groupId, topic, shell, timing: TIMING })
  let commits = 0
  source.consumer.on(source.consumer.events.REQUEST, ({ payload }) => {
    if (payload.apiName === 'OffsetCommit') commits++
  })
  await source.start()
  onTestFinished(() => source.stop())
  const admin = kafka.admin()
  await admin.connect()
  onTestFinished(() => admin.disconnect())
  // Three batches: each record is sent once the one before it is applied, so none is fetched with another.
  for (const [i, taskId] of ['task-c1', 'task-c2', 'task-c3'].entries()) {
    await producer.send({
      topic,
      acks: -1,
      messages: [{ key: appKey(APP), value: encodeEvent(startMix({ taskId, at: T0 })) }],
    })
    await waitFor(`batch ${i + 1} applied`, async () => applied >= i + 1)
  }
  expect(commits).toBe(0)
  // One save covers the three batches: one commit, of the offset after the third.
  await time.advance(SAVE_DELAY_MS)
  await waitFor('the batches committed', async () => {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] })
    return offsets?.partitions.some((p) => p.offset === '3') === true
  })
  expect(commits).toBe(1)
})
