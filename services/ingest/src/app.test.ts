import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { decodeEvent } from '@mixguard/contracts'
import { Secret } from '@mixguard/service-kit'
import { callbackSignature, signQuery } from '@mixguard/zego-api'
import { pino } from 'pino'
import { Agent, request } from 'undici'
import { afterEach, describe, expect, test } from 'vitest'
import { type AppDeps, createApp } from './app.ts'
import { createAppRegistry } from './apps.ts'
import { createMetrics } from './metrics.ts'
import { createNonceCache } from './nonce-cache.ts'
import type { Durability, PublisherStatus } from './publisher.ts'
import type { SpoolRecord } from './spool-format.ts'

const CALLBACK_SECRET = 'callback-secret-4001'
const SERVER_SECRET = 'server-secret-4001'
const clock = { now: () => Date.now() }
const servers: Server[] = []
const agents: Agent[] = []
afterEach(async () => {
  for (const s of servers.splice(0)) await new Promise((r) => s.close(r))
  for (const a of agents.splice(0)) await a.close()
})

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  server.on('connection', (socket) => socket.unref())
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

interface Harness {
  url: string
  stored: SpoolRecord[]
  logs: string[]
  metrics: () => Promise<string>
}

async function start(
  options: {
    publish?: (r: SpoolRecord) => Promise<Durability>
    status?: Partial<PublisherStatus>
    upstream?: string
    maxConcurrent?: number
    bodyLimit?: number
  } = {},
): Promise<Harness> {
  const stored: SpoolRecord[] = []
  const logs: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) })
  const status: PublisherStatus = {
    kafkaUp: true,
    spool: { records: 0, bytes: 0, maxBytes: 1000 },
    queued: 0,
    ...options.status,
  }
  const publisher = {
    publish: async (r: SpoolRecord) => {
      const where = await (options.publish ?? (async () => 'kafka' as const))(r)
      stored.push(r)
      return where
    },
    status: () => status,
  }
  const inFlight = { count: 0, onIdle: () => {} }
  const nonces = createNonceCache({ clock, maxEntries: 1000 })
  const metrics = createMetrics({
    publisher: () => status,
    nonceCache: () => ({ size: nonces.size(), evictions: nonces.evictions() }),
    inFlight: () => inFlight.count,
  })
  const apps = createAppRegistry([
    { appId: 4001, callbackSecrets: [new Secret(CALLBACK_SECRET)], serverSecret: new Secret(SERVER_SECRET) },
  ])
  const agent = new Agent()
  agents.push(agent)
  const topics = { events: 't.events', deadLetter: 't.dead-letter' }
  const deps: AppDeps = {
    callbackPath: '/zego/callback',
    passthroughPath: '/zego/',
    bodyLimitBytes: options.bodyLimit ?? 4096,
    maxConcurrentRequests: options.maxConcurrent ?? 100,
    clock,
    logger,
    metrics,
    publisher,
    callback: { apps, clock, freshnessWindowMs: 300_000, nonces, publisher, topics },
    passthrough: {
      baseUrl: options.upstream ?? 'http://127.0.0.1:9/',
      dispatcher: agent,
      timeoutMs: 2_000,
      clock,
      apps,
      publisher,
      eventsTopic: topics.events,
      onRecordLost: () => metrics.recordLost('passthrough'),
    },
    shuttingDown: () => false,
    inFlight,
  }
  const url = await listen(createApp(deps))
  return { url, stored, logs, metrics: () => metrics.registry.metrics() }
}

function callbackBody(nonce = String(Math.floor(Math.random() * 1e9))): Record<string, string> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  return {
    event: 'mix_stop',
    appid: '4001',
    seq: '57',
    task_id: '4001:mix-r7',
    channel_id: 'r-7',
    publish_id: 'svc',
    mix_url: 'rtmp://x/mix',
    mix_stream_alias: 'mix-out',
    timestamp,
    nonce,
    signature: callbackSignature(CALLBACK_SECRET, timestamp, nonce),
  }
}

async function post(url: string, body: string | Buffer, contentType?: string) {
  const res = await request(url, {
    method: 'POST',
    body,
    headers: contentType === undefined ? {} : { 'content-type': contentType },
  })
  return {
    status: res.statusCode,
    headers: res.headers,
    json: (await res.body.json()) as Record<string, unknown>,
  }
}

describe('callback endpoint over HTTP', () => {
  test('JSON and form bodies are accepted and answered { ok, requestId }', async () => {
    const h = await start()
    const asJson = await post(`${h.url}/zego/callback`, JSON.stringify(callbackBody()), 'application/json')
    expect(asJson.status).toBe(200)
    expect(asJson.json).toEqual({ ok: true, requestId: asJson.headers['x-request-id'] })
    expect(asJson.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(asJson.headers['content-length']).toBe(String(JSON.stringify(asJson.json).length))
    const asForm = await post(
      `${h.url}/zego/callback`,
      new URLSearchParams(callbackBody()).toString(),
      'application/x-www-form-urlencoded',
    )
    expect(asForm.status).toBe(200)
    expect(h.stored).toHaveLength(2)
  })

  test('other content types are 415, bodies over the limit 413, and nothing is stored', async () => {
    const h = await start({ bodyLimit: 1024 })
    const text = await post(`${h.url}/zego/callback`, JSON.stringify(callbackBody()), 'text/plain')
    expect(text.status).toBe(415)
    expect(text.json).toMatchObject({ ok: false, reason: 'unsupported_media_type' })
    const none = await post(`${h.url}/zego/callback`, JSON.stringify(callbackBody()))
    expect(none.status).toBe(415)
    const big = await post(
      `${h.url}/zego/callback`,
      JSON.stringify({ ...callbackBody(), extra: 'x'.repeat(2000) }),
      'application/json',
    )
    expect(big.status).toBe(413)
    expect(big.json).toMatchObject({ ok: false, reason: 'body_too_large' })
    expect(h.stored).toEqual([])
  })

  test('past the concurrency cap, requests are shed with 503', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    let arrived = 0
    let bothArrived!: () => void
    const inside = new Promise<void>((r) => {
      bothArrived = r
    })
    const h = await start({
      maxConcurrent: 2,
      publish: async () => {
        arrived += 1
        if (arrived === 2) bothArrived()
        await gate
        return 'kafka'
      },
    })
    const url = `${h.url}/zego/callback`
    const held = [1, 2].map(() => post(url, JSON.stringify(callbackBody()), 'application/json'))
    await inside
    const shed = await post(url, JSON.stringify(callbackBody()), 'application/json')
    expect(shed.status).toBe(503)
    expect(shed.json).toMatchObject({ ok: false, reason: 'overloaded' })
    expect(shed.headers['retry-after']).toBe('1')
    release()
    expect((await Promise.all(held)).map((r) => r.status)).toEqual([200, 200])
    expect(await h.metrics()).toMatch(/mixguard_ingest_shed_total\{route="callback"\} 1/)
  })

  test('metrics count requests by event and outcome', async () => {
    const h = await start()
    await post(`${h.url}/zego/callback`, JSON.stringify(callbackBody()), 'application/json')
    await post(
      `${h.url}/zego/callback`,
      JSON.stringify({ ...callbackBody(), signature: 'f'.repeat(40) }),
      'application/json',
    )
    const text = await h.metrics()
    expect(text).toMatch(
      /mixguard_ingest_requests_total\{route="callback",event="mix_stop",outcome="stored"\} 1/,
    )
    expect(text).toMatch(
      /mixguard_ingest_requests_total\{route="callback",event="mix_stop",outcome="bad_signature"\} 1/,
    )
    expect(text).toContain('mixguard_ingest_spool_bytes 0')
  })

  test('no log line ever holds a secret or a signature', async () => {
    const upstream = await listen((_req, res) => res.end('{"Code":0,"Message":"ok","RequestId":"r"}'))
    const h = await start({ upstream: `${upstream}/` })
    const body = callbackBody()
    await post(`${h.url}/zego/callback`, JSON.stringify(body), 'application/json')
    await post(
      `${h.url}/zego/callback`,
      JSON.stringify({ ...body, signature: 'a'.repeat(40) }),
      'application/json',
    )
    const query = new URLSearchParams({ Action: 'StopMix', ...signQuery(4001, SERVER_SECRET, Date.now()) })
    await request(`${h.url}/zego/?${query}`, {
      method: 'POST',
      body: '{"TaskId":"t"}',
      headers: { 'content-type': 'application/json' },
    }).then((r) => r.body.dump())
    const all = h.logs.join('\n')
    const lines = h.logs.map((line) => JSON.parse(line) as Record<string, unknown>)
    // One access line per request, in pino-http's field names, each with its request id; every other
    // line of a request carries the same id as requestId.
    const access = lines.filter((l) => l.msg === 'request completed') as AccessLine[]
    expect(new Set(access.map((l) => l.req.id)).size).toBe(3)
    for (const line of lines) if (line.msg !== 'request completed') expect(line).toHaveProperty('requestId')
    expect(access[0]).toMatchObject({
      req: { method: 'POST', url: '/zego/callback' },
      res: { statusCode: 200 },
      responseTime: expect.any(Number),
      appId: 4001,
      eventId: expect.stringMatching(/^[0-9a-f]{64}$/),
      event: 'mix_stop',
      outcome: 'stored',
    })
    expect(access[1]).toMatchObject({ res: { statusCode: 401 }, outcome: 'bad_signature', eventId: null })
    expect(all).not.toContain(CALLBACK_SECRET)
    expect(all).not.toContain(SERVER_SECRET)
    expect(all).not.toContain(body.signature)
    expect(all).not.toContain(query.get('Signature'))
  })
})

type AccessLine = {
  req: { id: string; method: string; url: string }
  res: { statusCode: number }
  responseTime: number
  appId: number | null
  eventId: string | null
  event: string
  outcome: string
}

describe('health', () => {
  test('/healthz answers; /readyz fails only when Kafka is down and the spool is full', async () => {
    const ok = await start()
    expect((await request(`${ok.url}/healthz`)).statusCode).toBe(200)
    const head = await request(`${ok.url}/healthz`, { method: 'HEAD' })
    expect(head.statusCode).toBe(200)
    expect(await head.body.text()).toBe('')
    expect((await request(`${ok.url}/readyz`)).statusCode).toBe(200)
    const spooling = await start({
      status: { kafkaUp: false, spool: { records: 3, bytes: 10, maxBytes: 1000 } },
    })
    const answer = await request(`${spooling.url}/readyz`)
    expect(answer.statusCode).toBe(200)
    expect(await answer.body.json()).toMatchObject({ ok: true, reason: 'spooling' })
    const full = await start({
      status: { kafkaUp: false, spool: { records: 90, bytes: 1000, maxBytes: 1000 } },
    })
    expect((await request(`${full.url}/readyz`)).statusCode).toBe(503)
    expect((await request(`${full.url}/nowhere`)).statusCode).toBe(404)
  })
})

describe('ZEGO-API passthrough', () => {
  test('forwards method, query and body unchanged and returns status, headers and bytes as they are', async () => {
    const seen: Array<{ method?: string; url?: string; body: string; caller?: string | string[] }> = []
    const answer = Buffer.from('{"Code":110200001,  "Message":"fail, retry","RequestId":"rq-1"}\n')
    const upstream = await listen((req, res) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          body: Buffer.concat(chunks).toString(),
          caller: req.headers['x-sim-caller'],
        })
        res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'x-zego-trace': 'abc' })
        res.end(answer)
      })
    })
    const h = await start({ upstream: `${upstream}/` })
    const rawQuery =
      'Action=StartMix&AppId=4001&SignatureNonce=abc&Timestamp=1&Signature=s%2Bx&SignatureVersion=2.0'
    const body = '{"TaskId":"t-1","UserId":"u","MixInput":[{"StreamId":"a"}],"MixOutput":[{"StreamId":"o"}]}'
    const res = await request(`${h.url}/zego/?${rawQuery}`, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'x-sim-caller': 'customer' },
    })
    expect(res.statusCode).toBe(503)
    expect(res.headers['x-zego-trace']).toBe('abc')
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8')
    expect(Buffer.from(await res.body.arrayBuffer()).equals(answer)).toBe(true)
    expect(seen).toEqual([{ method: 'POST', url: `/?${rawQuery}`, body, caller: 'customer' }])

    expect(h.stored).toHaveLength(1)
    const event = decodeEvent((h.stored[0] as SpoolRecord).value)
    expect(event.ok && event.event).toMatchObject({
      type: 'mix_api_call',
      appId: 4001,
      body: {
        action: 'StartMix',
        taskId: 't-1',
        inputs: [{ streamId: 'a', streamUrl: null }],
        response: { httpStatus: 503, code: 110200001, requestId: 'rq-1' },
      },
    })
  })

  test('GET actions are forwarded and not recorded; the answer never waits for the record', async () => {
    const upstream = await listen((req, res) => res.end(`{"Code":0,"Message":"ok","RequestId":"${req.url}"}`))
    const h = await start({ upstream: `${upstream}/`, publish: () => new Promise<Durability>(() => {}) })
    const info = await request(`${h.url}/zego/?Action=GetMixTaskInfo&AppId=4001&TaskId=t`)
    expect(info.statusCode).toBe(200)
    expect(await info.body.json()).toMatchObject({ RequestId: '/?Action=GetMixTaskInfo&AppId=4001&TaskId=t' })
    // A recorded action whose record never becomes durable: the customer still gets ZEGO's answer.
    const stop = await request(`${h.url}/zego/?Action=StopMix&AppId=4001`, {
      method: 'POST',
      body: '{"TaskId":"t"}',
    })
    expect(stop.statusCode).toBe(200)
    await stop.body.dump()
  })

  test('a record that cannot be stored is counted; ZEGO unreachable is 502', async () => {
    const upstream = await listen((_req, res) => res.end('{"Code":0}'))
    let failed!: () => void
    const failure = new Promise<void>((r) => {
      failed = r
    })
    const h = await start({
      upstream: `${upstream}/`,
      publish: async () => {
        setImmediate(failed)
        throw new Error('disk gone')
      },
    })
    const stop = await request(`${h.url}/zego/?Action=StopMix&AppId=4001`, {
      method: 'POST',
      body: '{"TaskId":"t"}',
    })
    expect(stop.statusCode).toBe(200)
    await stop.body.dump()
    await failure
    expect(await h.metrics()).toMatch(/mixguard_ingest_record_failures_total\{source="passthrough"\} 1/)

    const down = await start({ upstream: 'http://127.0.0.1:9/' })
    const unreachable = await request(`${down.url}/zego/?Action=StopMix&AppId=4001`, {
      method: 'POST',
      body: '{}',
    })
    expect(unreachable.statusCode).toBe(502)
    expect(await unreachable.body.json()).toMatchObject({ ok: false, reason: 'upstream_unreachable' })
  })
})
