import {
  appKey,
  type DeadLetter,
  type Decision,
  decisionRecordMetadata,
  encodeDeadLetter,
  encodeDecision,
  topicName,
  topicSpecs,
} from '@mixguard/contracts'
import { createIdempotentProducer, ensureTopics } from '@mixguard/kafka'
import { readTopics, runCli } from '@mixguard/ops'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { testBrokers, testKafka, uniqueName } from './kafka.ts'

const APP = 4701
const prefix = uniqueName('ops')
const kafka = testKafka()
const producer = createIdempotentProducer(kafka)

beforeAll(async () => {
  await ensureTopics(kafka, topicSpecs(prefix))
  await producer.connect()
})
afterAll(() => producer.disconnect())

function cli(args: string[], interrupted: Promise<void> = Promise.resolve(), onOut?: (text: string) => void) {
  let out = ''
  let err = ''
  return runCli(args, {
    out: (text) => {
      out += text
      onOut?.(text)
    },
    err: (text) => {
      err += text
    },
    env: { KAFKA_BROKERS: testBrokers().join(','), TOPIC_PREFIX: prefix },
    now: Date.now,
    interrupted,
  }).then((code) => ({ code, out, err }))
}

const createdAt = Date.now() - 5_000
const streamCreate = {
  event: 'stream_create',
  appid: String(APP),
  timestamp: '1700000000',
  nonce: 'n1',
  signature: 'x',
  room_id: 'r-1',
  room_session_id: '42',
  stream_id: 's-1',
  stream_sid: 'sid-1',
  user_id: 'u-1',
  create_time_ms: String(createdAt),
  stream_seq: '1',
}

test('dead-letter lists with reasons and re-drives what the current code can read, leaving the rest', async () => {
  const fixed: DeadLetter = {
    v: 1,
    source: 'ingest:callback',
    reason: 'schema: stream_seq was refused by an older parser',
    receivedAt: Date.now() - 1_000,
    appId: APP,
    payload: JSON.stringify(streamCreate),
  }
  const broken: DeadLetter = {
    ...fixed,
    reason: 'schema: room_id missing',
    payload: '{"event":"stream_create"}',
  }
  await producer.send({
    topic: topicName('dead-letter', prefix),
    acks: -1,
    messages: [fixed, broken].map((d) => ({ key: appKey(APP), value: encodeDeadLetter(d) })),
  })

  const listed = await cli(['dead-letter', 'list', '--app', String(APP)])
  expect(listed.code).toBe(0)
  expect(listed.out).toContain('ingest:callback  schema: stream_seq was refused by an older parser')
  expect(listed.out).toContain('2 dead letter(s)')

  const dry = await cli(['dead-letter', 'redrive', '--all', '--dry-run'])
  expect(dry.out).toContain('1 of 2 can be re-driven')
  expect(await readTopics(kafka, [topicName('events', prefix)])).toEqual([])

  const redriven = await cli(['dead-letter', 'redrive', '--all'])
  expect(redriven.code).toBe(1)
  expect(redriven.out).toMatch(/re-driven as stream_created/)
  expect(redriven.out).toMatch(/still unparseable/)
  const events = await readTopics(kafka, [topicName('events', prefix)])
  expect(events).toHaveLength(1)
  expect(JSON.parse(events[0]?.value?.toString() ?? '{}')).toMatchObject({
    type: 'stream_created',
    appId: APP,
  })
  expect(events[0]?.headers['mixguard-type']).toBe('event')
  expect(events[0]?.headers['mixguard-redriven-from']).toMatch(/^[0-9a-f]{64}$/)
  expect(events[0]?.timestamp).toBe(createdAt)
})

test('tail prints decisions and outcomes of the chosen app as they land', async () => {
  const decision = (appId: number, taskId: string): Decision => ({
    v: 1,
    id: `d-${appId}-${taskId}`,
    appId,
    taskId,
    action: 'stop',
    reason: 'orphaned',
    rule: 'grace:normal_close',
    evidence: { eventIds: [], deadline: Date.now(), supersededBy: null, note: null },
    decidedAt: Date.now(),
  })
  let stop: () => void = () => {}
  const interrupted = new Promise<void>((resolve) => {
    stop = resolve
  })
  let printed = ''
  const running = cli(['tail', '--app', String(APP), '--since', '1h'], interrupted, (text) => {
    printed += text
    if (printed.includes('task wanted')) stop()
  })
  await producer.send({
    topic: topicName('decisions', prefix),
    acks: -1,
    messages: [decision(APP + 1, 'other'), decision(APP, 'wanted')].map((d) => ({
      key: appKey(d.appId),
      value: encodeDecision(d),
      ...decisionRecordMetadata(d),
    })),
  })
  const result = await running
  expect(result.code).toBe(0)
  expect(result.out).toMatch(/app 4701 {2}task wanted {2}decision stop orphaned rule=grace:normal_close/)
  expect(result.out).not.toContain('task other')
})
