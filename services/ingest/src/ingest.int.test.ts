import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeDeadLetter, parseCallback, toEvent, topicSpecs } from '@mixguard/contracts'
import { callbackSignature, signQuery } from '@mixguard/zego-api'
import {
  type CallbackPayload,
  createManualClock,
  createSimulator,
  type Delivery,
  type Simulator,
} from '@mixguard/zego-sim'
import { ConfigResourceTypes } from 'kafkajs'
import { request } from 'undici'
import { afterEach, describe, expect, test } from 'vitest'
import { type Collector, collectTopic, testBrokers, uniqueName } from '../../../test/kafka.ts'
import { eventsOf, type IngestFixture, startIngestFixture, topicSize } from './int-support.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const APPS = [
  { appId: 4001, serverSecret: 'ss-4001', callbackSecret: 'cs-4001' },
  { appId: 4002, serverSecret: 'ss-4002', callbackSecret: 'cs-4002' },
]

async function ingestFor(apps = APPS, env: Record<string, string> = {}): Promise<IngestFixture> {
  const fx = await startIngestFixture({
    brokers: testBrokers(),
    prefix: uniqueName('ingest'),
    apps: apps.map((a) => ({
      appId: a.appId,
      callbackSecrets: [a.callbackSecret],
      serverSecret: a.serverSecret,
    })),
    env,
  })
  cleanups.push(() => fx.close())
  return fx
}

async function collect(fx: IngestFixture, logical: 'events' | 'dead-letter'): Promise<Collector> {
  const c = await collectTopic(fx.kafka, `${fx.prefix}.${logical}`)
  cleanups.push(() => c.stop())
  return c
}

async function simulator(options: Parameters<typeof createSimulator>[0]): Promise<Simulator> {
  const sim = await createSimulator({ clock: createManualClock(), ...options })
  cleanups.push(() => sim.close())
  return sim
}

/** The event id ingest must have written for a delivered callback (content-derived, so retries share it). */
function expectedId(payload: CallbackPayload): string {
  const parsed = parseCallback(payload)
  if (!parsed.ok) throw new Error(parsed.reason)
  return toEvent(parsed.callback, { receivedAt: 0 }).id
}

/** What a form parser gives back for a payload: text values, a one-item list as a single value. */
function asForm(payload: CallbackPayload): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(payload)) {
    if (!Array.isArray(v)) out[k] = String(v)
    else if (v.length === 1) out[k] = v[0]
    else if (v.length > 1) out[k] = v
  }
  return out
}

const byName = (a: { name: string }, b: { name: string }): number => a.name.localeCompare(b.name)

/** Resolves with the first attempt's HTTP status of the first delivery that matches. */
function firstAnswer(sim: Simulator, match: (d: Delivery) => boolean): Promise<number | undefined> {
  const done = sim.callbacks.deliveries().find((d) => d.attempts.length > 0 && match(d))
  if (done) return Promise.resolve(done.attempts[0]?.httpStatus)
  return new Promise((resolve) => {
    const off = sim.callbacks.subscribe((n) => {
      if (n.type === 'attempt' && match(n.delivery)) {
        off()
        resolve(n.delivery.attempts[0]?.httpStatus)
      }
    })
  })
}

describe('ingest on a real broker, fed by zego-sim', () => {
  test('every event type, in JSON and in form encoding, lands normalised, keyed by AppID, with its raw payload', async () => {
    const sim = await simulator({
      apps: [
        { ...APPS[0], appId: 4001, callbackEncoding: 'json' },
        { ...APPS[1], appId: 4002, callbackEncoding: 'form' },
      ],
    })
    const fx = await ingestFor(APPS, { ZEGO_API_BASE_URL: sim.url })
    const events = await collect(fx, 'events')
    for (const { appId } of APPS) {
      sim.world.updateApp(appId, { callbackUrl: `${fx.ingest.url}/zego/callback` })
      sim.actions.publish({ appId, roomId: 'r-1', streamId: `a-${appId}`, userId: 'u-a' })
      sim.actions.publish({ appId, roomId: 'r-1', streamId: `b-${appId}`, userId: 'u-b' })
      // The customer's own mix calls go through ingest's passthrough, as a real backend's would.
      const customer = sim.customer.client(appId, `${fx.ingest.url}/zego/`)
      const started = await customer.startMix({
        TaskId: 'mix-1',
        UserId: 'mixer',
        RoomId: 'r-1',
        MixInput: [{ StreamId: `a-${appId}` }, { StreamId: `b-${appId}` }],
        MixOutput: [{ StreamId: `out-${appId}` }],
      })
      expect(started.ok).toBe(true)
      expect((await customer.stopMix({ TaskId: 'mix-1' })).ok).toBe(true)
      sim.actions.unpublish({ appId, streamId: `a-${appId}` })
      sim.actions.closeRoom({ appId, roomId: 'r-1' })
    }
    await sim.callbacks.idle()
    const deliveries = sim.callbacks.deliveries()
    expect(deliveries.map((d) => d.status)).toEqual(Array(14).fill('delivered'))
    expect(new Set(deliveries.map((d) => `${d.appId}:${d.event}`)).size).toBe(10)

    // 7 callbacks and 2 recorded mix calls per app.
    await events.until('18 events', (r) => r.length >= 18)
    expect(await topicSize(fx.kafka, `${fx.prefix}.events`)).toBe(18)
    expect(events.records.map((r) => r.key)).toEqual(eventsOf(events).map((e) => String(e.appId)))
    const byId = new Map(eventsOf(events).map((e) => [e.id, e]))
    for (const d of deliveries) {
      const event = byId.get(expectedId(d.payload))
      expect(event, `${d.appId} ${d.event}`).toBeDefined()
      expect(event?.appId).toBe(d.appId)
      // The body as it came, less the credential: signature, nonce and timestamp never reach Kafka.
      const { signature: _s, nonce: _n, timestamp: _t, ...rest } = d.payload
      expect(event?.raw).toEqual(d.encoding === 'json' ? rest : asForm(rest as CallbackPayload))
    }
    const types = eventsOf(events).map((e) => `${e.appId}:${e.type}`)
    for (const { appId } of APPS) {
      for (const type of ['stream_created', 'stream_closed', 'mix_started', 'mix_stopped', 'room_closed']) {
        expect(types).toContain(`${appId}:${type}`)
      }
    }
    const started = eventsOf(events).find((e) => e.type === 'mix_started' && e.appId === 4002)
    expect(started?.body).toMatchObject({
      taskId: 'mix-1',
      rawTaskId: '4002:mix-1',
      outputStreamId: 'out-4002',
    })
    const calls = eventsOf(events).flatMap((e) =>
      e.type === 'mix_api_call' && 'code' in e.body.response
        ? [`${e.appId}:${e.body.action}:${e.body.response.code}`]
        : [],
    )
    expect(calls.sort()).toEqual(['4001:StartMix:0', '4001:StopMix:0', '4002:StartMix:0', '4002:StopMix:0'])
  })

  test('forged, unknown app, stale and replayed-with-another-body are refused and never stored; an identical retry is stored once', async () => {
    const wall = { offsetMs: 0, now: () => Date.now() + wall.offsetMs }
    const sim = await simulator({
      wallClock: wall,
      chaos: { duplicateFraction: 1, delayMaxMs: 0 },
      apps: [
        { ...APPS[0], appId: 4001, callbackEncoding: 'json' },
        // Signs with a secret ingest does not know: every callback of this app is a forgery.
        { appId: 4002, serverSecret: 'ss-4002', callbackSecret: 'not-the-secret', callbackEncoding: 'form' },
        { appId: 4999, serverSecret: 'ss', callbackSecret: 'cs', callbackEncoding: 'json' },
      ],
    })
    const fx = await ingestFor()
    const events = await collect(fx, 'events')
    const url = `${fx.ingest.url}/zego/callback`
    for (const appId of [4001, 4002, 4999]) sim.world.updateApp(appId, { callbackUrl: url })

    // Sent twice at once (chaos duplicate): one is stored, the other answers as a duplicate.
    sim.actions.publish({ appId: 4001, roomId: 'r', streamId: 'ok', userId: 'u' })
    sim.actions.publish({ appId: 4002, roomId: 'r', streamId: 'forged', userId: 'u' })
    sim.actions.publish({ appId: 4999, roomId: 'r', streamId: 'unknown', userId: 'u' })
    // An hour-old signature: outside the 5-minute window.
    sim.switches.chaos.duplicateFraction = 0
    wall.offsetMs = -3_600_000
    sim.actions.publish({ appId: 4001, roomId: 'r', streamId: 'stale', userId: 'u' })
    wall.offsetMs = 0

    const byStream = (id: string) => (d: Delivery) => d.payload.stream_id === id
    const okCopies = sim.callbacks.deliveries().filter(byStream('ok'))
    expect(okCopies).toHaveLength(2)
    await Promise.all(okCopies.map((d) => sim.callbacks.waitForSettled((s) => s.id === d.id)))
    expect(okCopies.map((d) => d.attempts[0]?.httpStatus)).toEqual([200, 200])
    expect(await firstAnswer(sim, byStream('forged'))).toBe(401)
    expect(await firstAnswer(sim, byStream('unknown'))).toBe(401)
    expect(await firstAnswer(sim, byStream('stale'))).toBe(401)

    // The genuine callback's signature, sent again with another body.
    const genuine = okCopies[0]?.payload as CallbackPayload
    const replay = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...genuine, stream_id: 'hijacked' }),
    })
    expect(replay.statusCode).toBe(401)
    expect(await replay.body.json()).toMatchObject({ ok: false, reason: 'nonce_reused' })

    await events.until('the one genuine callback', (r) => r.length >= 1)
    // Every answer above came after its record would have been durable: the totals are final.
    expect(await topicSize(fx.kafka, `${fx.prefix}.events`)).toBe(1)
    expect(await topicSize(fx.kafka, `${fx.prefix}.dead-letter`)).toBe(0)
    expect(eventsOf(events)[0]).toMatchObject({
      appId: 4001,
      type: 'stream_created',
      body: { streamId: 'ok' },
    })
  })

  test('an authentic callback of an unknown type is dead-lettered with the reason and acknowledged', async () => {
    const fx = await ingestFor()
    const letters = await collect(fx, 'dead-letter')
    const sim = await simulator({ apps: [{ ...APPS[0], appId: 4001, callbackEncoding: 'json' }] })
    sim.world.updateApp(4001, { callbackUrl: `${fx.ingest.url}/zego/callback` })
    sim.actions.publish({ appId: 4001, roomId: 'r', streamId: 's', userId: 'u' })
    await sim.callbacks.idle()
    // The same signed envelope with an event type ZEGO might add one day.
    const genuine = sim.callbacks.deliveries()[0]?.payload as CallbackPayload
    const { signature: _s, nonce: _n, timestamp: _t, ...business } = genuine
    const timestamp = String(Math.floor(Date.now() / 1000))
    const body = {
      ...business,
      event: 'stream_paused',
      timestamp,
      nonce: 'n-1',
      signature: callbackSignature('cs-4001', timestamp, 'n-1'),
    }
    const res = await request(`${fx.ingest.url}/zego/callback`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    expect(res.statusCode).toBe(200)
    expect(await res.body.json()).toMatchObject({ ok: true, reason: 'dead_lettered' })
    await letters.until('the dead letter', (r) => r.length >= 1)
    const letter = decodeDeadLetter(letters.records[0]?.value)
    expect(letter.ok && letter.deadLetter).toMatchObject({ appId: 4001, source: 'ingest:callback' })
    expect(letter.ok && letter.deadLetter.reason).toContain('stream_paused')
    expect(letters.records[0]?.key).toBe('4001')
  })

  test("ingest makes its topics with the registry's partitions, cleanup policy and retention", async () => {
    const fx = await ingestFor()
    const admin = fx.kafka.admin()
    await admin.connect()
    cleanups.push(() => admin.disconnect())
    const specs = topicSpecs(fx.prefix).filter((t) => t.logical === 'events' || t.logical === 'dead-letter')
    const { resources } = await admin.describeConfigs({
      includeSynonyms: false,
      resources: specs.map((t) => ({
        type: ConfigResourceTypes.TOPIC,
        name: t.name,
        configNames: t.configEntries.map((e) => e.name),
      })),
    })
    for (const spec of specs) {
      const got = resources.find((r) => r.resourceName === spec.name)?.configEntries ?? []
      expect(got.map((e) => ({ name: e.configName, value: e.configValue })).sort(byName)).toEqual(
        [...spec.configEntries].sort(byName),
      )
    }
    const { topics } = await admin.fetchTopicMetadata({ topics: specs.map((t) => t.name) })
    expect(topics.map((t) => t.partitions.length)).toEqual(specs.map((t) => t.partitions))
  })

  test("a StartMix through the passthrough reaches zego-sim, ZEGO's answer comes back byte for byte, and the call lands on Kafka", async () => {
    const sim = await simulator({ apps: [{ ...APPS[0], appId: 4001 }] })
    // A tap between ingest and the simulator keeps the exact bytes "ZEGO" sent to ingest.
    const tapped: Buffer[] = []
    const tap: Server = createServer(async (req, res) => {
      const chunks: Buffer[] = []
      for await (const c of req) chunks.push(c as Buffer)
      const upstream = await request(new URL(req.url ?? '/', sim.url), {
        method: req.method as 'POST',
        headers: { 'content-type': req.headers['content-type'] ?? 'application/json' },
        body: Buffer.concat(chunks),
      })
      // A trailing newline, as a gateway might add: any re-encoding of the answer would drop it.
      const bytes = Buffer.concat([Buffer.from(await upstream.body.arrayBuffer()), Buffer.from('\n')])
      tapped.push(bytes)
      res.writeHead(upstream.statusCode, { 'content-type': String(upstream.headers['content-type']) })
      res.end(bytes)
    })
    await new Promise<void>((r) => tap.listen(0, '127.0.0.1', r))
    cleanups.push(() => new Promise((r) => tap.close(r)))
    const fx = await ingestFor([APPS[0] as (typeof APPS)[0]], {
      ZEGO_API_BASE_URL: `http://127.0.0.1:${(tap.address() as AddressInfo).port}/`,
    })
    const events = await collect(fx, 'events')
    sim.actions.publish({ appId: 4001, roomId: 'r-9', streamId: 'in-1', userId: 'u' })

    const query = new URLSearchParams({ Action: 'StartMix', ...signQuery(4001, 'ss-4001', Date.now()) })
    const body = JSON.stringify({
      TaskId: 'task-9',
      UserId: 'mixer',
      RoomId: 'r-9',
      MixInput: [{ StreamId: 'in-1', RectInfo: { Top: 0, Left: 0, Bottom: 360, Right: 640 } }],
      MixOutput: [{ StreamId: 'out-9', VideoBitrate: 800, Fps: 15, Width: 640, Height: 360 }],
      MaxIdleTime: 120,
    })
    const res = await request(`${fx.ingest.url}/zego/?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
    })
    const answer = Buffer.from(await res.body.arrayBuffer())
    expect(res.statusCode).toBe(200)
    expect(tapped).toHaveLength(1)
    expect(answer.equals(tapped[0] as Buffer)).toBe(true)
    const zego = JSON.parse(answer.toString()) as { Code: number; RequestId: string }
    expect(zego.Code).toBe(0)
    expect(sim.world.runningTask(4001, 'task-9')?.userId).toBe('mixer')

    await events.until('the recorded StartMix', (r) => r.some((x) => x.value.includes('mix_api_call')))
    const call = eventsOf(events).find((e) => e.type === 'mix_api_call')
    expect(call).toMatchObject({
      appId: 4001,
      body: {
        action: 'StartMix',
        taskId: 'task-9',
        userId: 'mixer',
        roomId: 'r-9',
        inputs: [{ streamId: 'in-1', streamUrl: null }],
        outputs: [{ streamId: 'out-9', streamUrl: null }],
        maxIdleTimeSec: 120,
        request: JSON.parse(body),
        response: { httpStatus: 200, code: 0, requestId: zego.RequestId },
      },
    })
    expect(events.records.find((r) => r.value.includes('mix_api_call'))?.key).toBe('4001')
  })
})
