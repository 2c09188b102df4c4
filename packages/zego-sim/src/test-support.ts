import { createServer, type IncomingMessage } from 'node:http'
import type { AddressInfo } from 'node:net'
import { signQuery } from '@mixguard/zego-api'
import { request } from 'undici'

/** Test helpers (not exported from the package): raw signed ZEGO calls and a callback receiver. */

export interface RawCall {
  appId: number | string
  secret: string
  action: string
  method?: 'GET' | 'POST'
  /** Business fields: JSON body for POST, query for GET. A string body is sent as is. */
  body?: unknown
  query?: Record<string, string>
  /** Wall-clock ms the signature is made at (default now). */
  signedAtMs?: number
  /** Overrides or removes (undefined) common query parameters after signing. */
  override?: Record<string, string | undefined>
  headers?: Record<string, string>
}

export interface ZegoAnswer {
  status: number
  body: { Code: number; Message: string; RequestId: string; Data?: unknown }
}

export async function rawZegoCall(baseUrl: string, call: RawCall): Promise<ZegoAnswer> {
  const url = new URL(baseUrl)
  const method =
    call.method ??
    (call.action === 'GetMixTaskInfo' || call.action === 'DescribeSimpleStreamList' ? 'GET' : 'POST')
  const params: Record<string, string | undefined> = {
    Action: call.action,
    ...signQuery(call.appId, call.secret, call.signedAtMs ?? Date.now()),
    ...call.query,
    ...call.override,
  }
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v)
  const body =
    method === 'POST'
      ? typeof call.body === 'string'
        ? call.body
        : JSON.stringify(call.body ?? {})
      : undefined
  const res = await request(url, {
    method,
    headers: { 'content-type': 'application/json', ...call.headers },
    ...(body === undefined ? {} : { body }),
  })
  return { status: res.statusCode, body: (await res.body.json()) as ZegoAnswer['body'] }
}

interface Received {
  contentType: string
  raw: string
  /** JSON body, or the form decoded (repeated keys become arrays). */
  body: Record<string, unknown>
}

export interface Receiver {
  url: string
  received: Received[]
  /** Status to answer for the n-th request (0-based). Default 200. */
  status: (n: number) => number
  /** Resolves once `count` requests in total have arrived. */
  waitFor(count: number): Promise<Received[]>
  close(): Promise<void>
}

function decode(req: IncomingMessage, raw: string): Record<string, unknown> {
  if ((req.headers['content-type'] ?? '').includes('json')) return JSON.parse(raw) as Record<string, unknown>
  const out: Record<string, unknown> = {}
  for (const [k, v] of new URLSearchParams(raw)) {
    const prev = out[k]
    out[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v]
  }
  return out
}

export async function startReceiver(status: (n: number) => number = () => 200): Promise<Receiver> {
  const received: Received[] = []
  const waiters: { count: number; resolve: (r: Received[]) => void }[] = []
  const receiver: Receiver = {
    url: '',
    received,
    status,
    waitFor(count) {
      if (received.length >= count) return Promise.resolve(received.slice())
      return new Promise((resolve) => waiters.push({ count, resolve }))
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      }),
  }
  const server = createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8')
      const n = received.length
      received.push({ contentType: req.headers['content-type'] ?? '', raw, body: decode(req, raw) })
      res.statusCode = receiver.status(n)
      res.end('ok')
      for (const w of waiters.filter((w) => received.length >= w.count)) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(received.slice())
      }
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/zego`
  return receiver
}
