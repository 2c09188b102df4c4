import { request as httpRequest } from 'node:http'
import { connect } from 'node:net'
import { gzipSync } from 'node:zlib'
import { Secret } from '@mixguard/service-kit'
import express from 'express'
import fc from 'fast-check'
import { request } from 'undici'
import { afterEach, describe, expect, test } from 'vitest'
import { waitFor } from '../../../test/wait-for.ts'
import { CALLBACK_SECRET, callbackBody, closeHarness, listen, post, startApp } from './app-harness.ts'
import { createAppRegistry } from './apps.ts'
import { bodyErrorAnswer, checkMediaType } from './body.ts'
import { handleCallback } from './callback-route.ts'
import { IngestError } from './errors.ts'
import { createMemoryNonceStore } from './memory-nonce-store.ts'

afterEach(closeHarness)

// The callback route moved from Express to bare node:http (callback-listener.ts). These pin what the
// move could have changed: which requests it serves, the request id, the access line and metric, the
// body reader's answers, and failures the route does not expect.

const signed = () => JSON.stringify(callbackBody())

describe('the lean callback route serves what the Express route matched', () => {
  test('a trailing slash, another case and a query are the callback route', async () => {
    const h = await startApp()
    for (const path of ['/zego/callback/', '/ZEGO/Callback', '/zego/callback?from=lb']) {
      const answer = await post(`${h.url}${path}`, signed(), 'application/json')
      expect({ path, status: answer.status, ok: answer.json.ok }).toEqual({ path, status: 200, ok: true })
    }
    expect(h.stored).toHaveLength(3)
  })

  test('an absolute-form request target is the callback route too', async () => {
    const h = await startApp()
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(`${h.url}/`, {
        method: 'POST',
        path: `${h.url}/zego/callback`,
        headers: { 'content-type': 'application/json' },
      })
      req.on('response', (res) => {
        res.resume()
        resolve(res.statusCode)
      })
      req.on('error', reject)
      req.end(signed())
    })
    expect(status).toBe(200)
    expect(h.stored).toHaveLength(1)
  })

  test('other methods and neighbouring paths go to the Express app: 404 not_found', async () => {
    const h = await startApp()
    for (const [method, path] of [
      ['GET', '/zego/callback'],
      ['PUT', '/zego/callback'],
      ['POST', '/zego/callbacks'],
      ['POST', '/zego/callback//'],
    ] as const) {
      const res = await request(`${h.url}${path}`, { method, body: method === 'GET' ? null : signed() })
      expect({ method, path, status: res.statusCode }).toEqual({ method, path, status: 404 })
      expect(await res.body.json()).toMatchObject({ ok: false, reason: 'not_found' })
    }
    expect(h.stored).toEqual([])
  })
})

describe('what Express did around the route', () => {
  test('a well-formed x-request-id is echoed; another is replaced by a fresh one', async () => {
    const h = await startApp()
    const given = await post(`${h.url}/zego/callback`, signed(), 'application/json', {
      'x-request-id': 'lb-42.a:b',
    })
    expect(given.headers['x-request-id']).toBe('lb-42.a:b')
    expect(given.json.requestId).toBe('lb-42.a:b')
    const bad = await post(`${h.url}/zego/callback`, signed(), 'application/json', {
      'x-request-id': 'has spaces',
    })
    expect(bad.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/)
    expect(bad.json.requestId).toBe(bad.headers['x-request-id'])
  })

  test('the answer head: the request id once, JSON type and length, retry-after on a 503; the same on an Express route', async () => {
    const down = {
      kind: 'memory' as const,
      claim: async () => {
        throw new IngestError('NONCE_STORE_UNAVAILABLE', 'down', { retryable: true })
      },
      status: () => ({ up: false, entries: 0, evictions: 0 }),
      close: async () => {},
    }
    const up = await startApp()
    const refusing = await startApp({ nonces: down })
    const heads = [
      await rawAnswer(`${up.url}/zego/callback`, 'POST', signed()),
      await rawAnswer(`${refusing.url}/zego/callback`, 'POST', signed()),
      await rawAnswer(`${up.url}/healthz`, 'GET', ''),
      await rawAnswer(`${up.url}/nowhere`, 'GET', ''),
    ]
    expect(heads.map((h) => h.status)).toEqual([200, 503, 200, 404])
    for (const { names, headers, body } of heads) {
      expect(names.filter((n) => n === 'x-request-id')).toHaveLength(1)
      expect(names.filter((n) => n === 'content-type' || n === 'content-length')).toHaveLength(2)
      expect(headers['content-type']).toBe('application/json; charset=utf-8')
      expect(headers['content-length']).toBe(String(Buffer.byteLength(body)))
      expect(JSON.parse(body).requestId).toBe(headers['x-request-id'])
    }
    expect(heads.map((h) => h.headers['retry-after'])).toEqual([undefined, '1', undefined, undefined])
  })

  test('one access line per callback: path without the query, status, outcome, ids; and the metric', async () => {
    const h = await startApp({ logLevel: 'info' })
    const answer = await post(`${h.url}/zego/callback?token=s3cret`, signed(), 'application/json')
    const lines = h.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .filter((l) => l.msg === 'request completed')
    expect(lines).toHaveLength(1)
    expect(lines[0]).toMatchObject({
      req: { id: answer.json.requestId, method: 'POST', url: '/zego/callback' },
      res: { statusCode: 200 },
      event: 'mix_stop',
      outcome: 'stored',
      appId: 4001,
    })
    expect(lines[0]?.eventId).toEqual(expect.any(String))
    expect(h.logs.join('\n')).not.toContain('s3cret')
    expect(await h.metrics()).toMatch(
      /mixguard_ingest_requests_total\{route="callback",event="mix_stop",outcome="stored"\} 1/,
    )
  })

  test('an error the route does not expect is a 500 with the request id, logged, never a hang', async () => {
    const broken = {
      kind: 'memory' as const,
      claim: async () => {
        throw new Error('bug in a store')
      },
      status: () => ({ up: true, entries: 0, evictions: 0 }),
      close: async () => {},
    }
    const h = await startApp({ nonces: broken })
    const answer = await post(`${h.url}/zego/callback`, signed(), 'application/json')
    expect(answer.status).toBe(500)
    expect(answer.json).toEqual({
      ok: false,
      reason: 'internal_error',
      requestId: answer.headers['x-request-id'],
    })
    expect(h.logs.some((l) => l.includes('"msg":"unhandled error"'))).toBe(true)
    expect(h.stored).toEqual([])
  })
})

/** An answer's status, header names as sent (duplicates kept), headers and body. */
async function rawAnswer(url: string, method: string, body: string) {
  return await new Promise<{
    status: number | undefined
    names: string[]
    headers: Record<string, string | string[] | undefined>
    body: string
  }>((resolve, reject) => {
    const req = httpRequest(url, { method, headers: { 'content-type': 'application/json' } })
    req.on('response', (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          names: res.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase()),
          headers: res.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      )
    })
    req.on('error', reject)
    req.end(body)
  })
}

/**
 * The route as Express served it before: express.raw, the media check, handleCallback, and the body
 * reader's errors through the same mapping. The lean route must answer every input as this one does.
 */
async function expressReference(bodyLimit: number): Promise<string> {
  const clock = { now: () => Date.now() }
  const apps = createAppRegistry([
    { appId: 4001, callbackSecrets: [new Secret(CALLBACK_SECRET)], serverSecret: null },
  ])
  const publisher = { publish: async () => 'kafka' as const }
  const deps = {
    apps,
    clock,
    freshnessWindowMs: 300_000,
    nonces: createMemoryNonceStore({ clock, maxEntries: 1000 }),
    publisher,
    topics: { events: 't.events', deadLetter: 't.dead-letter' },
  }
  const app = express()
  const reply = (res: express.Response, a: { status: number; reason?: string; detail?: string }) =>
    res.status(a.status).json({ ok: a.status < 300, reason: a.reason, detail: a.detail })
  app.post(
    '/zego/callback',
    (req, res, next) => {
      const media = checkMediaType(req.get('content-type'))
      if (!media.ok)
        return reply(res, { status: 415, reason: 'unsupported_media_type', detail: media.detail })
      res.locals.encoding = media.encoding
      next()
    },
    express.raw({ type: () => true, limit: bodyLimit }),
    async (req, res) => {
      const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0)
      reply(res, await handleCallback(body, res.locals.encoding, deps))
    },
  )
  app.use(((error, req, res, _next) => {
    const answer = bodyErrorAnswer(error, req.get('content-encoding'))
    reply(res, answer ?? { status: 500, reason: 'internal_error' })
  }) as express.ErrorRequestHandler)
  return listen(app)
}

describe('same answers as the Express route for the same bad inputs', () => {
  const CONTENT_TYPES = [
    'application/json',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'text/plain',
    undefined,
  ]
  const ENCODINGS = [undefined, 'gzip', 'identity', 'compress', 'deflate']
  const BODIES = [
    '',
    '{',
    '[]',
    '{"appid":"4001"}',
    'a=1&a=2',
    'x'.repeat(3000),
    JSON.stringify({ ...callbackBody('fixed'), signature: 'f'.repeat(40) }),
    JSON.stringify({ ...callbackBody('fixed'), timestamp: '1' }),
  ]

  test('status, reason and detail match for every combination drawn', async () => {
    const bodyLimit = 2048
    const reference = await expressReference(bodyLimit)
    const lean = await startApp({ bodyLimit, logLevel: 'silent' })
    const ask = async (
      origin: string,
      body: string,
      type: string | undefined,
      encoding: string | undefined,
      gzip: boolean,
    ) => {
      const headers: Record<string, string> = {}
      if (type !== undefined) headers['content-type'] = type
      if (encoding !== undefined) headers['content-encoding'] = encoding
      const bytes = gzip ? gzipSync(body) : Buffer.from(body)
      const res = await request(`${origin}/zego/callback`, { method: 'POST', body: bytes, headers })
      const json = (await res.body.json()) as Record<string, unknown>
      return { status: res.statusCode, reason: json.reason, detail: json.detail }
    }
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...BODIES),
        fc.constantFrom(...CONTENT_TYPES),
        fc.constantFrom(...ENCODINGS),
        fc.boolean(),
        async (body, type, encoding, gzip) => {
          const expected = await ask(reference, body, type, encoding, gzip)
          expect(await ask(lean.url, body, type, encoding, gzip)).toEqual(expected)
        },
      ),
      { numRuns: 120 },
    )
  })
})

describe('bodies in pieces, without a length, or cut off: as express.raw read them', () => {
  const BODIES = [
    '',
    '{',
    '{"appid":"4001"}',
    'x'.repeat(3000),
    JSON.stringify({ ...callbackBody('fixed'), signature: 'f'.repeat(40) }),
  ]

  /** POSTs `body` in two writes: with its Content-Length, or chunked (no length at all). */
  const askInPieces = (origin: string, body: string, chunked: boolean) =>
    new Promise<{ status: number | undefined; reason: unknown; detail: unknown }>((resolve, reject) => {
      const bytes = Buffer.from(body)
      const headers: Record<string, string | number> = { 'content-type': 'application/json' }
      if (!chunked) headers['content-length'] = bytes.length
      const req = httpRequest(`${origin}/zego/callback`, { method: 'POST', headers }, (res) => {
        const parts: Buffer[] = []
        res.on('data', (p: Buffer) => parts.push(p))
        res.on('end', () => {
          const json = JSON.parse(Buffer.concat(parts).toString()) as Record<string, unknown>
          resolve({ status: res.statusCode, reason: json.reason, detail: json.detail })
        })
      })
      req.on('error', reject)
      const half = Math.floor(bytes.length / 2)
      req.write(bytes.subarray(0, half), () => req.end(bytes.subarray(half)))
    })

  test("a body in two writes, with Content-Length or chunked, gets the Express route's answer", async () => {
    const bodyLimit = 2048
    const reference = await expressReference(bodyLimit)
    const lean = await startApp({ bodyLimit, logLevel: 'silent' })
    for (const body of BODIES) {
      for (const chunked of [false, true]) {
        const expected = await askInPieces(reference, body, chunked)
        expect({ body: body.slice(0, 20), chunked, ...(await askInPieces(lean.url, body, chunked)) }).toEqual(
          {
            body: body.slice(0, 20),
            chunked,
            ...expected,
          },
        )
      }
    }
  })

  test('a request cut off inside its body counts as malformed_body: no 500, nothing stored, no log', async () => {
    const h = await startApp({ logLevel: 'info' })
    const socket = connect(Number(new URL(h.url).port), '127.0.0.1')
    // Expect: 100-continue: the interim answer says the route has the request, so the cut lands in the body.
    socket.write(
      'POST /zego/callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
        'Content-Length: 100\r\nExpect: 100-continue\r\n\r\n',
    )
    await new Promise<void>((resolve) => socket.once('data', () => resolve()))
    socket.write('{"event":')
    socket.destroy()
    const line = 'mixguard_ingest_requests_total{route="callback",event="none",outcome="malformed_body"} 1'
    await waitFor('the cut-off request to be counted', async () => (await h.metrics()).includes(line))
    expect(h.stored).toEqual([])
    expect(h.logs).toEqual([])
    const after = await post(`${h.url}/zego/callback`, signed(), 'application/json')
    expect(after.status).toBe(200)
  })
})
