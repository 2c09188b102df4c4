import { brotliCompressSync, gzipSync } from 'node:zlib'
import { decodeEvent } from '@mixguard/contracts'
import { callbackSignature, signQuery } from '@mixguard/zego-api'
import { request } from 'undici'
import { afterEach, describe, expect, test } from 'vitest'
import {
  CALLBACK_SECRET,
  callbackBody,
  closeHarness,
  listen,
  nestedJson,
  post,
  SERVER_SECRET,
  startApp as start,
} from './app-harness.ts'
import { IngestError } from './errors.ts'
import type { Durability } from './publisher.ts'
import type { SpoolRecord } from './spool-format.ts'

afterEach(closeHarness)

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

describe('a small public surface', () => {
  test('the 401 is the same for an unknown app, a bad signature, a stale timestamp and a reused nonce; the real reason is in the log line and the metric label', async () => {
    const h = await start()
    const genuine = callbackBody()
    expect((await post(`${h.url}/zego/callback`, JSON.stringify(genuine), 'application/json')).status).toBe(
      200,
    )
    const stale = String(Math.floor(Date.now() / 1000) - 3600)
    const other = callbackBody()
    const unknownApp = {
      ...other,
      appid: '4999',
      signature: callbackSignature('a-secret-of-app-4999', other.timestamp as string, other.nonce as string),
    }
    const forgeries = {
      unknown_app: unknownApp,
      bad_signature: { ...callbackBody(), signature: 'f'.repeat(32) },
      stale_timestamp: {
        ...callbackBody('stale-1'),
        timestamp: stale,
        signature: callbackSignature(CALLBACK_SECRET, stale, 'stale-1'),
      },
      nonce_reused: { ...genuine, task_id: '4001:someone-elses-task' },
    }
    const answers: Array<{ status: number; json: Record<string, unknown> }> = []
    for (const body of Object.values(forgeries)) {
      const answer = await post(`${h.url}/zego/callback`, JSON.stringify(body), 'application/json')
      answers.push({ status: answer.status, json: { ...answer.json, requestId: '-' } })
    }
    expect(answers).toEqual(Object.values(forgeries).map(() => answers[0]))
    expect(answers[0]).toMatchObject({ status: 401, json: { ok: false, reason: 'unauthenticated' } })
    expect(h.stored).toHaveLength(1)
    const outcomes = h.logs
      .map((line) => JSON.parse(line) as { msg: string; outcome?: string })
      .filter((l) => l.msg === 'request completed')
      .map((l) => l.outcome)
    expect(outcomes).toEqual(['stored', ...Object.keys(forgeries)])
    const text = await h.metrics()
    for (const reason of Object.keys(forgeries))
      expect(text).toContain(`route="callback",event="mix_stop",outcome="${reason}"} 1`)
  })

  test('metrics are not served on the public port', async () => {
    const h = await start()
    const res = await request(`${h.url}/metrics`)
    expect(res.statusCode).toBe(404)
    expect(await res.body.text()).not.toContain('mixguard_')
  })

  test('a nonce store that cannot answer: callbacks are refused with 503 and stored nowhere, readiness says why', async () => {
    const down = {
      kind: 'redis' as const,
      claim: async () => {
        throw new IngestError('NONCE_STORE_UNAVAILABLE', 'the nonce store did not answer: timeout', {
          retryable: true,
        })
      },
      status: () => ({ up: false, entries: null, evictions: 0 }),
      close: async () => {},
    }
    const h = await start({ nonces: down })
    const answer = await post(`${h.url}/zego/callback`, JSON.stringify(callbackBody()), 'application/json')
    expect(answer.status).toBe(503)
    expect(answer.headers['retry-after']).toBe('1')
    expect(answer.json).toMatchObject({ ok: false, reason: 'nonce_store_unavailable' })
    expect(h.stored).toEqual([])
    const ready = await request(`${h.url}/readyz`)
    expect(ready.statusCode).toBe(200)
    expect(await ready.body.json()).toMatchObject({ ok: true, reason: 'nonce_store_down' })
    expect(await h.metrics()).toContain('mixguard_ingest_nonce_store_up 0')
  })
})

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
    // Signed (ingest checks app 4001's calls); Extra shows the query is passed on byte for byte.
    const rawQuery = `Action=StartMix&${signed()}&Extra=s%2Bx`
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
    const query = `Action=GetMixTaskInfo&${signed()}&TaskId=t`
    const info = await request(`${h.url}/zego/?${query}`)
    expect(info.statusCode).toBe(200)
    expect(await info.body.json()).toMatchObject({ RequestId: `/?${query}` })
    // A recorded action whose record never becomes durable: the customer still gets ZEGO's answer.
    const stop = await request(`${h.url}/zego/?Action=StopMix&${signed()}`, {
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
    const stop = await request(`${h.url}/zego/?Action=StopMix&${signed()}`, {
      method: 'POST',
      body: '{"TaskId":"t"}',
    })
    expect(stop.statusCode).toBe(200)
    await stop.body.dump()
    await failure
    expect(await h.metrics()).toMatch(/mixguard_ingest_record_failures_total\{source="passthrough"\} 1/)

    const down = await start({ upstream: 'http://127.0.0.1:9/' })
    const unreachable = await request(`${down.url}/zego/?Action=StopMix&${signed()}`, {
      method: 'POST',
      body: '{}',
    })
    expect(unreachable.statusCode).toBe(502)
    expect(await unreachable.body.json()).toMatchObject({ ok: false, reason: 'upstream_unreachable' })
  })
})

/** App 4001's signature parameters, fresh: ingest checks them before it forwards. */
const signed = (): string => new URLSearchParams({ ...signQuery(4001, SERVER_SECRET, Date.now()) }).toString()

/** A ZEGO API that answers Code 0 to everything and counts what it was sent. */
async function countingUpstream(): Promise<{ upstream: string; forwarded: () => number }> {
  let count = 0
  const upstream = await listen((req, res) => {
    count += 1
    req.resume()
    req.on('end', () => res.end('{"Code":0,"Message":"ok","RequestId":"r"}'))
  })
  return { upstream, forwarded: () => count }
}

describe('hostile clients', () => {
  test('a garbage or truncated br, gzip or deflate body is 400 with a reason, and nothing is stored', async () => {
    const h = await start()
    const garbage = Buffer.from('this is not compressed at all, not even a little')
    const truncated = gzipSync(JSON.stringify(callbackBody())).subarray(0, 20)
    for (const [encoding, bytes] of [
      ['br', garbage],
      ['gzip', garbage],
      ['deflate', garbage],
      ['gzip', truncated],
    ] as const) {
      const answer = await post(`${h.url}/zego/callback`, bytes, 'application/json', {
        'content-encoding': encoding,
      })
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({ ok: false, reason: 'bad_content_encoding' })
      expect(String(answer.json.detail)).toContain(encoding)
    }
    const fine = await post(
      `${h.url}/zego/callback`,
      brotliCompressSync(JSON.stringify(callbackBody())),
      'application/json',
      { 'content-encoding': 'br' },
    )
    expect(fine.status).toBe(200)
    expect(h.stored).toHaveLength(1)
  })

  test('deep nesting in appid or signature is 400 over HTTP, not a 500', async () => {
    const h = await start({ bodyLimit: 1024 * 1024 })
    for (const field of ['appid', 'signature']) {
      const body = JSON.stringify({ ...callbackBody(), [field]: '@' }).replace('"@"', nestedJson(100_000))
      const answer = await post(`${h.url}/zego/callback`, body, 'application/json')
      expect(answer.status).toBe(400)
      expect(answer.json).toMatchObject({ ok: false, reason: 'body_too_deep' })
    }
    expect(h.stored).toEqual([])
  })

  test('passthrough bodies above their cap are 413 before they are forwarded or stored; callbacks keep their own limit', async () => {
    const { upstream, forwarded } = await countingUpstream()
    const h = await start({
      upstream: `${upstream}/`,
      bodyLimit: 256 * 1024,
      passthroughBodyLimit: 64 * 1024,
    })
    const query = new URLSearchParams({ Action: 'StartMix', ...signQuery(4001, SERVER_SECRET, Date.now()) })
    const big = JSON.stringify({ TaskId: 't', UserId: 'u', pad: 'x'.repeat(70 * 1024) })
    const refused = await post(`${h.url}/zego/?${query}`, big, 'application/json')
    expect(refused.status).toBe(413)
    expect(refused.json).toMatchObject({ ok: false, reason: 'body_too_large' })
    expect(String(refused.json.detail)).toContain(String(64 * 1024))
    expect(forwarded()).toBe(0)
    expect(h.stored).toEqual([])
    // A callback of the same size is under the callback route's own limit.
    const callback = await post(
      `${h.url}/zego/callback`,
      JSON.stringify({ ...callbackBody(), extra: 'x'.repeat(70 * 1024) }),
      'application/json',
    )
    expect(callback.status).toBe(200)
    const small = await post(`${h.url}/zego/?${query}`, '{"TaskId":"t"}', 'application/json')
    expect(small.status).toBe(200)
    expect(forwarded()).toBe(1)
  })

  test('the passthrough and the callback route have separate caps: a hung ZEGO API cannot starve callbacks', async () => {
    let arrived = 0
    let bothArrived!: () => void
    const inside = new Promise<void>((r) => {
      bothArrived = r
    })
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const upstream = await listen((req, res) => {
      arrived += 1
      if (arrived === 2) bothArrived()
      req.resume()
      void gate.then(() => res.end('{"Code":0,"Message":"ok","RequestId":"r"}'))
    })
    const h = await start({ upstream: `${upstream}/`, maxConcurrent: 2, maxConcurrentPassthrough: 2 })
    const url = `${h.url}/zego/?Action=DescribeMixTask&${signed()}`
    const held = [1, 2].map(() => request(url, { method: 'POST', body: '{}' }))
    await inside
    const shed = await request(url, { method: 'POST', body: '{}' })
    expect(shed.statusCode).toBe(503)
    expect(await shed.body.json()).toMatchObject({ ok: false, reason: 'overloaded' })
    const callback = await post(`${h.url}/zego/callback`, JSON.stringify(callbackBody()), 'application/json')
    expect(callback.status).toBe(200)
    release()
    for (const r of await Promise.all(held)) {
      expect(r.statusCode).toBe(200)
      await r.body.dump()
    }
    expect(await h.metrics()).toMatch(/mixguard_ingest_shed_total\{route="passthrough"\} 1/)
  })
  test('a passthrough JSON body nested past the bound is 400 before it is forwarded, never a 500', async () => {
    const { upstream, forwarded } = await countingUpstream()
    const h = await start({ upstream: `${upstream}/`, passthroughBodyLimit: 64 * 1024 })
    const query = new URLSearchParams({ Action: 'StartMix', ...signQuery(4001, SERVER_SECRET, Date.now()) })
    const body = `{"TaskId":"t","UserId":"u","MixInput":${nestedJson(20_000)}}`
    const answer = await post(`${h.url}/zego/?${query}`, body, 'application/json')
    expect(answer.status).toBe(400)
    expect(answer.json).toMatchObject({ ok: false, reason: 'body_too_deep' })
    expect(forwarded()).toBe(0)
    expect(h.stored).toEqual([])
  })
})
