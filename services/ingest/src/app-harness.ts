import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Secret } from '@mixguard/service-kit'
import { callbackSignature } from '@mixguard/zego-api'
import { pino } from 'pino'
import { Agent, request } from 'undici'
import { type AppDeps, createApp } from './app.ts'
import { type AppSecrets, createAppRegistry } from './apps.ts'
import { createMetrics } from './metrics.ts'
import { createNonceCache } from './nonce-cache.ts'
import type { Durability, PublisherStatus } from './publisher.ts'
import type { SpoolRecord } from './spool-format.ts'

/**
 * Test support for the unit tests of the HTTP surface (not exported): createApp on a real port with
 * fakes for the publisher, one app (4001) and a configurable upstream. Call `closeHarness` after each test.
 */
export const CALLBACK_SECRET = 'callback-secret-4001'
export const SERVER_SECRET = 'server-secret-4001'
const clock = { now: () => Date.now() }
const servers: Server[] = []
const agents: Agent[] = []

export async function closeHarness(): Promise<void> {
  for (const s of servers.splice(0)) {
    s.closeAllConnections()
    await new Promise((r) => s.close(r))
  }
  for (const a of agents.splice(0)) await a.close()
}

export async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  const server = createServer(handler)
  servers.push(server)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  server.on('connection', (socket) => socket.unref())
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`
}

export interface Harness {
  url: string
  stored: SpoolRecord[]
  logs: string[]
  metrics: () => Promise<string>
}

export async function startApp(
  options: {
    publish?: (r: SpoolRecord) => Promise<Durability>
    status?: Partial<PublisherStatus>
    upstream?: string
    maxConcurrent?: number
    maxConcurrentPassthrough?: number
    bodyLimit?: number
    passthroughBodyLimit?: number
    answerLimit?: number
    /** Default: app 4001 with its callback and server secrets. */
    apps?: AppSecrets[]
    logLevel?: string
  } = {},
): Promise<Harness> {
  const stored: SpoolRecord[] = []
  const logs: string[] = []
  const logger = pino(
    { level: options.logLevel ?? 'debug' },
    { write: (line: string) => void logs.push(line) },
  )
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
  const apps = createAppRegistry(
    options.apps ?? [
      {
        appId: 4001,
        callbackSecrets: [new Secret(CALLBACK_SECRET)],
        serverSecret: new Secret(SERVER_SECRET),
      },
    ],
  )
  const agent = new Agent()
  agents.push(agent)
  const topics = { events: 't.events', deadLetter: 't.dead-letter' }
  const deps: AppDeps = {
    callbackPath: '/zego/callback',
    passthroughPath: '/zego/',
    limits: {
      callbackBodyBytes: options.bodyLimit ?? 4096,
      passthroughBodyBytes: options.passthroughBodyLimit ?? 4096,
      callbackConcurrency: options.maxConcurrent ?? 100,
      passthroughConcurrency: options.maxConcurrentPassthrough ?? 100,
    },
    clock,
    logger,
    metrics,
    publisher,
    callback: { apps, clock, freshnessWindowMs: 300_000, nonces, publisher, topics },
    passthrough: {
      baseUrl: options.upstream ?? 'http://127.0.0.1:9/',
      dispatcher: agent,
      timeoutMs: 2_000,
      answerLimitBytes: options.answerLimit ?? 64 * 1024,
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

export function callbackBody(nonce = String(Math.floor(Math.random() * 1e9))): Record<string, string> {
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

export async function post(
  url: string,
  body: string | Buffer,
  contentType?: string,
  extraHeaders: Record<string, string> = {},
) {
  const res = await request(url, {
    method: 'POST',
    body,
    headers: { ...(contentType === undefined ? {} : { 'content-type': contentType }), ...extraHeaders },
  })
  const text = await res.body.text()
  let json: Record<string, unknown>
  try {
    json = JSON.parse(text) as Record<string, unknown>
  } catch {
    json = { text }
  }
  return { status: res.statusCode, headers: res.headers, json }
}

/** JSON text of `leaf` inside `depth` arrays: `[[["x"]]]`. */
export function nestedJson(depth: number, leaf = '"x"'): string {
  return `${'['.repeat(depth)}${leaf}${']'.repeat(depth)}`
}
