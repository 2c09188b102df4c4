import { request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http'
import { gzipSync } from 'node:zlib'
import { decodeEvent } from '@mixguard/contracts'
import { Secret } from '@mixguard/service-kit'
import { signQuery, ZegoCode } from '@mixguard/zego-api'
import { request } from 'undici'
import { afterEach, describe, expect, test } from 'vitest'
import { CALLBACK_SECRET, closeHarness, listen, SERVER_SECRET, startApp } from './app-harness.ts'

afterEach(closeHarness)

const START_MIX = '{"TaskId":"t-1","UserId":"u","MixInput":[{"StreamId":"a"}],"MixOutput":[{"StreamId":"o"}]}'

interface Seen {
  url: string
  headers: IncomingHttpHeaders
  body: string
}

/** A ZEGO API that records what reached it and answers `answer` (Code 0 by default). */
async function zego(
  answer: (res: import('node:http').ServerResponse) => void = (res) =>
    res.end('{"Code":0,"Message":"success","RequestId":"rq-1"}'),
): Promise<{ upstream: string; seen: Seen[] }> {
  const seen: Seen[] = []
  const upstream = await listen((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString() })
      answer(res)
    })
  })
  return { upstream: `${upstream}/`, seen }
}

const query = (params: Record<string, string>): string => new URLSearchParams(params).toString()
const signedAt = (nowMs: number, secret = SERVER_SECRET): Record<string, string> => ({
  ...signQuery(4001, secret, nowMs),
})

async function call(url: string, params: Record<string, string>, headers: Record<string, string> = {}) {
  const res = await request(`${url}/zego/?${query({ Action: 'StartMix', ...params })}`, {
    method: 'POST',
    body: START_MIX,
    headers: { 'content-type': 'application/json', ...headers },
  })
  const body = Buffer.from(await res.body.arrayBuffer())
  return { status: res.statusCode, headers: res.headers, body }
}

const json = (body: Buffer) => JSON.parse(body.toString()) as Record<string, unknown>

describe('the passthrough carries only authenticated calls', () => {
  test('an unsigned call for an app whose ServerSecret ingest holds is refused in ZEGO shape: not forwarded, not recorded', async () => {
    const { upstream, seen } = await zego()
    const h = await startApp({ upstream })
    const answer = await call(h.url, { AppId: '4001' })
    expect(answer.status).toBe(401)
    expect(json(answer.body)).toEqual({
      Code: ZegoCode.TimestampEmpty,
      Message: 'Timestamp is empty',
      RequestId: answer.headers['x-request-id'],
    })
    const { Signature: _, ...unsigned } = signedAt(Date.now())
    expect(json((await call(h.url, unsigned)).body)).toMatchObject({ Code: ZegoCode.SignatureEmpty })
    expect(seen).toEqual([])
    expect(h.stored).toEqual([])
  })

  test('a wrong signature, a wrong secret or a stale timestamp gets the gateway code; a signed call is forwarded and recorded', async () => {
    const { upstream, seen } = await zego()
    const h = await startApp({ upstream })
    const now = Date.now()
    const refusals = [
      [{ ...signedAt(now), Signature: 'f'.repeat(32) }, ZegoCode.SignatureInvalid],
      [signedAt(now, 'not-the-secret'), ZegoCode.SignatureInvalid],
      [signedAt(now - 610_000), ZegoCode.SignatureExpired],
      [signedAt(now + 610_000), ZegoCode.SignatureExpired],
      [{ ...signedAt(now), SignatureVersion: '1.0' }, ZegoCode.SignatureVersionInvalid],
    ] as const
    for (const [params, code] of refusals) {
      const answer = await call(h.url, params)
      expect(answer.status).toBe(401)
      expect(json(answer.body)).toMatchObject({ Code: code })
    }
    expect(seen).toEqual([])
    expect(h.stored).toEqual([])
    // Within ZEGO's 10 minutes either way: forwarded and recorded.
    for (const at of [now, now - 590_000]) expect((await call(h.url, signedAt(at))).status).toBe(200)
    expect(seen).toHaveLength(2)
    expect(h.stored).toHaveLength(2)
    const logs = h.logs.join('\n')
    expect(logs).toContain('passthrough call refused')
    expect(logs).not.toContain(SERVER_SECRET)
  })

  test('calls ingest cannot verify (no ServerSecret, or an app it does not serve) are forwarded and never recorded', async () => {
    const { upstream, seen } = await zego()
    const h = await startApp({
      upstream,
      apps: [{ appId: 4001, callbackSecrets: [new Secret(CALLBACK_SECRET)], serverSecret: null }],
    })
    expect((await call(h.url, { AppId: '4001' })).status).toBe(200)
    expect((await call(h.url, { ...signedAt(Date.now()) })).status).toBe(200)
    expect((await call(h.url, { AppId: '9' })).status).toBe(200)
    expect(seen).toHaveLength(3)
    expect(h.stored).toEqual([])
  })

  test("ZEGO's refusal is recorded as it came (the reconciler acts on Code 0 only)", async () => {
    const { upstream } = await zego((res) =>
      res.writeHead(200).end('{"Code":110200150,"Message":"input stream not exist","RequestId":"rq-2"}'),
    )
    const h = await startApp({ upstream })
    expect((await call(h.url, signedAt(Date.now()))).status).toBe(200)
    const event = decodeEvent(h.stored[0]?.value)
    expect(event.ok && event.event.type === 'mix_api_call' && event.event.body.response).toEqual({
      httpStatus: 200,
      code: 110200150,
      message: 'input stream not exist',
      requestId: 'rq-2',
    })
  })
})

describe("the passthrough's bounds and headers", () => {
  test('an answer over the cap (announced, streamed, or once decompressed) is a ZEGO-shaped 502 and nothing is recorded', async () => {
    const big = Buffer.from(`{"Code":0,"Pad":"${'x'.repeat(70 * 1024)}"}`)
    const answers: Array<(res: import('node:http').ServerResponse) => void> = [
      (res) => res.end(big),
      (res) => {
        res.write(big.subarray(0, 40_000))
        res.end(big.subarray(40_000))
      },
      (res) =>
        res.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(50 * 1024 * 1024))),
    ]
    for (const answer of answers) {
      const { upstream, seen } = await zego(answer)
      const h = await startApp({ upstream, answerLimit: 64 * 1024 })
      const res = await call(h.url, signedAt(Date.now()))
      expect(res.status).toBe(502)
      expect(json(res.body)).toMatchObject({ Code: ZegoCode.GatewayInternal })
      expect(String(json(res.body).Message)).toContain(String(64 * 1024))
      expect(seen).toHaveLength(1)
      expect(h.stored).toEqual([])
    }
  })

  test('a gzip answer is forwarded decoded, without its content-encoding label, and recorded with its Code', async () => {
    const plain = '{"Code":0,"Message":"success","RequestId":"rq-3"}'
    const { upstream } = await zego((res) =>
      res
        .writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip' })
        .end(gzipSync(plain)),
    )
    const h = await startApp({ upstream })
    const res = await call(h.url, signedAt(Date.now()), { 'accept-encoding': 'gzip' })
    expect(res.headers['content-encoding']).toBeUndefined()
    expect(res.body.toString()).toBe(plain)
    const event = decodeEvent(h.stored[0]?.value)
    expect(event.ok && event.event.type === 'mix_api_call' && event.event.body.response).toMatchObject({
      code: 0,
    })
  })

  test('a gzip request body is forwarded decoded and unlabelled; hop-by-hop headers and those named in Connection stay behind, both ways', async () => {
    const { upstream, seen } = await zego((res) => {
      res.setHeader('connection', 'x-upstream-hop')
      res.setHeader('x-upstream-hop', 'for this connection only')
      res.setHeader('x-zego-trace', 'kept')
      res.end('{"Code":0}')
    })
    const h = await startApp({ upstream })
    // node:http, since undici writes its own Connection header.
    const gz = await new Promise<IncomingMessage>((resolve, reject) => {
      const url = new URL(`${h.url}/zego/?${query({ Action: 'StartMix', ...signedAt(Date.now()) })}`)
      const req = httpRequest(url, {
        method: 'POST',
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-encoding': 'gzip',
          connection: 'keep-alive, X-Client-Hop',
          'x-client-hop': 'for this connection only',
          'x-kept': 'kept',
        },
      })
      req.on('response', resolve).on('error', reject)
      req.end(gzipSync(START_MIX))
    })
    expect(gz.statusCode).toBe(200)
    expect(gz.headers['x-zego-trace']).toBe('kept')
    expect(gz.headers['x-upstream-hop']).toBeUndefined()
    gz.resume()
    const last = seen.at(-1) as Seen
    expect(last.body).toBe(START_MIX)
    expect(last.headers['content-encoding']).toBeUndefined()
    expect(last.headers['x-client-hop']).toBeUndefined()
    expect(last.headers['x-kept']).toBe('kept')
  })
})
