import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Agent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { CallBudget, Lane } from './budget.ts'
import { createZegoClient, type ZegoClientOptions } from './client.ts'
import type { ZegoOutcome } from './outcome.ts'
import { requestSignature } from './sign.ts'

// The client over real sockets, for transport behaviour and request shape only. ZEGO's own behaviours
// (overload codes, unknown tasks, wrong secrets) are tested against the simulator in test/.

const APP_ID = 1234567
const SECRET = '9193cc662a4c0ec135ec71fb57194b38'
const NOW = 1_700_000_000_123

interface Received {
  method: string
  url: URL
  headers: IncomingMessage['headers']
  body: string
  signatureValid: boolean
}

const fixedAnswer = {
  Code: 0,
  Message: 'success',
  RequestId: 'req-1',
  Data: { TaskInfo: { TaskId: 'mix-1', MixDuration: 42 } },
}

const servers: Server[] = []
const agents: Agent[] = []

afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
  await Promise.all(
    servers.splice(0).map(
      (server) =>
        new Promise<void>((resolve) => {
          server.closeAllConnections()
          server.close(() => resolve())
        }),
    ),
  )
})

async function listen(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/`
}

/** A server that records each request, checks its signature and answers a fixed Code 0. */
async function recordingServer(): Promise<{ baseUrl: string; received: Received[] }> {
  const received: Received[] = []
  const baseUrl = await listen((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://localhost')
      const q = url.searchParams
      const signatureValid =
        q.get('Signature') ===
        requestSignature(
          q.get('AppId') ?? '',
          q.get('SignatureNonce') ?? '',
          SECRET,
          q.get('Timestamp') ?? '',
        )
      received.push({
        method: req.method ?? '',
        url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
        signatureValid,
      })
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end(JSON.stringify(fixedAnswer))
    })
  })
  return { baseUrl, received }
}

function client(options: Partial<ZegoClientOptions> & { baseUrl: string }) {
  const dispatcher = new Agent()
  agents.push(dispatcher)
  return createZegoClient({
    appId: APP_ID,
    serverSecret: SECRET,
    dispatcher,
    clock: { now: () => NOW },
    ...options,
  })
}

function errorOf(outcome: ZegoOutcome<unknown>) {
  if (outcome.ok) throw new Error(`expected a failure, got ${JSON.stringify(outcome)}`)
  return outcome.error
}

/** A hand-written budget that lets everything through and remembers who asked. */
function recordingBudget(): CallBudget & { calls: { appId: number; lane: Lane | undefined }[] } {
  const calls: { appId: number; lane: Lane | undefined }[] = []
  return {
    calls,
    limit: Number.POSITIVE_INFINITY,
    waiting: () => 0,
    acquire: async (appId, lane) => {
      calls.push({ appId, lane })
      return () => {}
    },
  }
}

describe('request shape', () => {
  it('POSTs StopMix with the signed common parameters in the query and the body as JSON', async () => {
    const { baseUrl, received } = await recordingServer()
    const outcome = await client({ baseUrl }).stopMix({ TaskId: 'mix-1', Sequence: 7, UserId: 'svc' })
    expect(outcome).toEqual({ ok: true, data: undefined, requestId: 'req-1' })
    expect(received).toHaveLength(1)
    const [request] = received as [Received]
    expect(request.method).toBe('POST')
    expect(request.url.pathname).toBe('/')
    expect(request.url.search.startsWith('?Action=StopMix&')).toBe(true)
    const q = request.url.searchParams
    expect(q.get('AppId')).toBe(String(APP_ID))
    expect(q.get('SignatureNonce')).toMatch(/^[0-9a-f]{16}$/)
    expect(q.get('Timestamp')).toBe('1700000000')
    expect(q.get('SignatureVersion')).toBe('2.0')
    expect(request.signatureValid).toBe(true)
    expect([...q.keys()].sort()).toEqual(
      ['Action', 'AppId', 'Signature', 'SignatureNonce', 'SignatureVersion', 'Timestamp'].sort(),
    )
    expect(request.headers['content-type']).toBe('application/json')
    expect(JSON.parse(request.body)).toEqual({ TaskId: 'mix-1', Sequence: 7, UserId: 'svc' })
  })

  it('POSTs StartMix with every field, unknown ones included, in the body', async () => {
    const { baseUrl, received } = await recordingServer()
    const request = {
      TaskId: 'mix-1',
      UserId: 'svc',
      MixInput: [{ StreamId: 's-1', RectInfo: { Top: 0, Left: 0, Bottom: 360, Right: 640 } }],
      MixOutput: [{ StreamId: 'out-1' }],
      MaxIdleTime: 120,
      LaterField: { a: 1 },
    }
    const outcome = await client({ baseUrl }).startMix(request)
    expect(outcome.ok).toBe(true)
    expect(received[0]?.url.searchParams.get('Action')).toBe('StartMix')
    expect(received[0]?.signatureValid).toBe(true)
    expect(JSON.parse(received[0]?.body ?? '')).toEqual(request)
  })

  it('GETs GetMixTaskInfo with TaskId in the query, no body, and returns the validated Data', async () => {
    const { baseUrl, received } = await recordingServer()
    const outcome = await client({ baseUrl }).getMixTaskInfo({ TaskId: 'mix 1/ü' })
    expect(outcome).toEqual({ ok: true, data: fixedAnswer.Data, requestId: 'req-1' })
    const [request] = received as [Received]
    expect(request.method).toBe('GET')
    expect(request.url.searchParams.get('Action')).toBe('GetMixTaskInfo')
    expect(request.url.searchParams.get('TaskId')).toBe('mix 1/ü')
    expect(request.signatureValid).toBe(true)
    expect(request.body).toBe('')
  })

  it('GETs DescribeSimpleStreamList with RoomId in the query, taking a slot from both budgets', async () => {
    const { baseUrl, received } = await recordingServer()
    const budget = recordingBudget()
    const streamListBudget = recordingBudget()
    const outcome = await client({ baseUrl, budget, streamListBudget }).describeSimpleStreamList(
      { RoomId: 'r-7' },
      { lane: 'background' },
    )
    expect(outcome).toMatchObject({ ok: true, data: { StreamList: [] } })
    expect(received[0]?.url.searchParams.get('RoomId')).toBe('r-7')
    expect(received[0]?.url.searchParams.get('Action')).toBe('DescribeSimpleStreamList')
    expect(budget.calls).toEqual([{ appId: APP_ID, lane: 'background' }])
    expect(streamListBudget.calls).toEqual([{ appId: APP_ID, lane: 'background' }])
  })

  it('sends StartAutoMix and StopAutoMix as POSTs', async () => {
    const { baseUrl, received } = await recordingServer()
    const zego = client({ baseUrl })
    const start = { TaskId: 't', UserId: 'u', RoomId: 'r', MixOutput: [{ StreamId: 'o' }] }
    expect((await zego.startAutoMix(start)).ok).toBe(true)
    expect((await zego.stopAutoMix({ TaskId: 't', RoomId: 'r' })).ok).toBe(true)
    expect(received.map((r) => [r.method, r.url.searchParams.get('Action'), JSON.parse(r.body)])).toEqual([
      ['POST', 'StartAutoMix', start],
      ['POST', 'StopAutoMix', { TaskId: 't', RoomId: 'r' }],
    ])
  })

  it('signs every call afresh, with the clock of the moment', async () => {
    const { baseUrl, received } = await recordingServer()
    let now = NOW
    const zego = client({ baseUrl, clock: { now: () => now } })
    await zego.stopMix({ TaskId: 'a' })
    now += 61_000
    await zego.stopMix({ TaskId: 'a' })
    const [first, second] = received as [Received, Received]
    expect(first.url.searchParams.get('SignatureNonce')).not.toBe(
      second.url.searchParams.get('SignatureNonce'),
    )
    expect(
      Number(second.url.searchParams.get('Timestamp')) - Number(first.url.searchParams.get('Timestamp')),
    ).toBe(61)
    expect(second.signatureValid).toBe(true)
  })

  it('takes a budget slot in the caller lane before each call (normal by default)', async () => {
    const { baseUrl } = await recordingServer()
    const budget = recordingBudget()
    const zego = client({ baseUrl, budget })
    await zego.stopMix({ TaskId: 'a' }, { lane: 'urgent' })
    await zego.getMixTaskInfo({ TaskId: 'a' })
    expect(budget.calls).toEqual([
      { appId: APP_ID, lane: 'urgent' },
      { appId: APP_ID, lane: 'normal' },
    ])
  })

  it('adds IsTest when asked, and keeps the signature parameters out of reach of GET fields', async () => {
    const { baseUrl, received } = await recordingServer()
    await client({ baseUrl, isTest: false }).getMixTaskInfo({ TaskId: 't', Signature: 'forged' })
    expect(received[0]?.url.searchParams.get('IsTest')).toBe('false')
    expect(received[0]?.url.searchParams.getAll('Signature')).toHaveLength(1)
    expect(received[0]?.signatureValid).toBe(true)
  })

  it('refuses an invalid request without sending it or spending budget', async () => {
    const { baseUrl, received } = await recordingServer()
    const budget = recordingBudget()
    const outcome = await client({ baseUrl, budget }).stopMix({ TaskId: '' })
    expect(errorOf(outcome)).toMatchObject({
      code: 'ZEGO_INVALID_REQUEST',
      retryable: false,
      action: 'StopMix',
    })
    expect(errorOf(outcome).message).toContain('TaskId')
    expect(received).toHaveLength(0)
    expect(budget.calls).toHaveLength(0)
  })

  it('refuses bad options at construction', () => {
    expect(() => createZegoClient({ appId: 0, serverSecret: 's' })).toThrow(RangeError)
    expect(() => createZegoClient({ appId: 1.5, serverSecret: 's' })).toThrow(RangeError)
    expect(() => createZegoClient({ appId: 1, serverSecret: '' })).toThrow(TypeError)
    expect(() => createZegoClient({ appId: 1, serverSecret: 's', timeoutMs: 0 })).toThrow(RangeError)
  })
})

describe('transport failures', () => {
  it('maps a refused connection to a retryable ZEGO_NETWORK', async () => {
    const baseUrl = await listen(() => {})
    const closing = servers.pop() as Server
    await new Promise<void>((resolve) => closing.close(() => resolve()))
    const outcome = await client({ baseUrl }).stopMix({ TaskId: 'a' })
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_NETWORK', errorClass: 'transient', retryable: true })
    expect(errorOf(outcome).message).toContain('ECONNREFUSED')
    expect(errorOf(outcome).cause).toBeInstanceOf(Error)
  })

  it('maps a connection reset mid-request to a retryable ZEGO_NETWORK', async () => {
    const baseUrl = await listen((req) => req.socket.destroy())
    const outcome = await client({ baseUrl }).stopMix({ TaskId: 'a' })
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_NETWORK', retryable: true })
  })

  it('maps a server that never answers to a retryable ZEGO_TIMEOUT', async () => {
    let arrived = 0
    const baseUrl = await listen(() => {
      arrived += 1
    })
    const outcome = await client({ baseUrl, timeoutMs: 100 }).stopMix({ TaskId: 'a' })
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_TIMEOUT', errorClass: 'transient', retryable: true })
    expect(arrived).toBe(1)
  })

  it('maps a server that stalls mid-body to ZEGO_TIMEOUT', async () => {
    const baseUrl = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.write('{"Code":0,')
    })
    const outcome = await client({ baseUrl, timeoutMs: 100 }).stopMix({ TaskId: 'a' })
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_TIMEOUT' })
  })

  it('maps a non-JSON 502 to a retryable ZEGO_HTTP with the status', async () => {
    const baseUrl = await listen((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' })
      res.end('<html><body>502 Bad Gateway</body></html>')
    })
    const outcome = await client({ baseUrl }).stopMix({ TaskId: 'a' })
    expect(errorOf(outcome)).toMatchObject({
      code: 'ZEGO_HTTP',
      errorClass: 'transient',
      retryable: true,
      httpStatus: 502,
    })
    expect(errorOf(outcome).message).toContain('502 Bad Gateway')
  })

  it('stops waiting when the caller aborts, with ZEGO_ABORTED', async () => {
    const controller = new AbortController()
    const baseUrl = await listen(() => controller.abort())
    const outcome = await client({ baseUrl }).stopMix({ TaskId: 'a' }, { signal: controller.signal })
    expect(errorOf(outcome)).toMatchObject({ code: 'ZEGO_ABORTED', retryable: false })
  })
})
