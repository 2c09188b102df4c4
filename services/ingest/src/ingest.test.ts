import { mkdtemp, rm } from 'node:fs/promises'
import { connect, type Socket } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { callbackSignature } from '@mixguard/zego-api'
import { pino } from 'pino'
import { request } from 'undici'
import { afterEach, describe, expect, test } from 'vitest'
import { loadConfig } from './config.ts'
import { startIngest } from './ingest.ts'
import type { KafkaLink } from './kafka-link.ts'
import { openSpool } from './spool.ts'

const dirs: string[] = []
const cleanup: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function config(env: Record<string, string> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'ingest-unit-'))
  dirs.push(dir)
  const loaded = loadConfig({
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: '0',
    KAFKA_BROKERS: '127.0.0.1:1',
    INGEST_SPOOL_DIR: dir,
    ZEGO_APP_ID: '4001',
    ZEGO_CALLBACK_SECRET: 'cs',
    KAFKA_LINGER_MS: '0',
    ...env,
  })
  if (!loaded.ok) throw new Error(loaded.message)
  return loaded.config
}

/** Kafka that holds each send until the test lets it go. */
function gatedLink() {
  const held: Array<() => void> = []
  let arrived!: () => void
  const firstSend = new Promise<void>((r) => {
    arrived = r
  })
  const link: KafkaLink = {
    connect: async () => {},
    send: () =>
      new Promise<void>((resolve) => {
        held.push(resolve)
        arrived()
      }),
    reset: async () => {},
    close: async () => {},
  }
  return {
    link,
    firstSend,
    release: () => {
      for (const r of held.splice(0)) r()
    },
  }
}

function callback(nonce: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000))
  return JSON.stringify({
    event: 'room_close',
    appid: 4001,
    timestamp: Number(timestamp),
    nonce,
    signature: callbackSignature('cs', timestamp, nonce),
    room_id: 'r',
    room_session_id: 1,
    close_reason: 0,
    room_close_time: '1',
  })
}

const post = (url: string, body: string) =>
  request(`${url}/zego/callback`, { method: 'POST', body, headers: { 'content-type': 'application/json' } })

test('shutdown stops accepting, lets the in-flight callback finish as acknowledged, then flushes', async () => {
  const kafka = gatedLink()
  const ingest = await startIngest(await config(), {
    kafkaLink: kafka.link,
    logger: pino({ level: 'silent' }),
  })
  const inFlight = post(ingest.url, callback('1'))
  await kafka.firstSend
  const closed = ingest.close()
  // Not accepting: readiness is gone and new connections are refused.
  await expect(request(`${ingest.url}/healthz`)).rejects.toThrow()
  kafka.release()
  const answer = await inFlight
  expect(answer.statusCode).toBe(200)
  expect(await answer.body.json()).toMatchObject({ ok: true })
  expect(await closed).toEqual({ spooled: 0 })
})

test('shutdown ends within its deadline while Kafka hangs; what was acknowledged stays spooled for the next start', async () => {
  const cfg = await config({ INGEST_SHUTDOWN_TIMEOUT_MS: '300', KAFKA_SEND_TIMEOUT_MS: '200' })
  const hanging: KafkaLink = {
    connect: async () => {},
    send: () => new Promise<void>(() => {}),
    reset: async () => {},
    close: async () => {},
  }
  const ingest = await startIngest(cfg, { kafkaLink: hanging, logger: pino({ level: 'silent' }) })
  // Kafka never answers: after the send timeout the callback is acknowledged from the spool.
  const answer = await post(ingest.url, callback('2'))
  expect(answer.statusCode).toBe(200)
  await answer.body.dump()
  expect(await ingest.close()).toEqual({ spooled: 1 })
  const { recovery, spool } = await openSpool({ dir: cfg.spool.dir, maxBytes: cfg.spool.maxBytes })
  expect(recovery.records).toBe(1)
  await spool.close()
})

/** Ingest as deployed (server options included) on port 0, with a Kafka that takes every send at once. */
async function ingest(env: Record<string, string>) {
  const running = await startIngest(await config(env), {
    kafkaLink: {
      connect: async () => {},
      send: async () => {},
      reset: async () => {},
      close: async () => {},
    },
    logger: pino({ level: 'silent' }),
  })
  cleanup.push(() => running.close())
  return running
}

/** A raw connection that records what the server sends and resolves `closed` when the server hangs up. */
async function rawSocket(
  port: number,
): Promise<{ socket: Socket; received: () => string; closed: Promise<void> }> {
  const socket = connect(port, '127.0.0.1')
  cleanup.push(async () => void socket.destroy())
  let text = ''
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString('latin1')
  })
  socket.on('error', () => {})
  const closed = new Promise<void>((r) => socket.once('close', () => r()))
  await new Promise<void>((r) => socket.once('connect', () => r()))
  return { socket, received: () => text, closed }
}

const slowHeaders = (extra = '') =>
  'POST /zego/callback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n' +
  `Content-Length: 1000\r\n${extra}\r\n`

describe('slow and idle clients', () => {
  test('connections that send headers and then nothing do not hold the slots: a valid callback still gets 2xx', async () => {
    const edge = await ingest({ INGEST_MAX_CONCURRENT: '5', INGEST_REQUEST_TIMEOUT_MS: '60000' })
    const idle = await Promise.all(Array.from({ length: 50 }, () => rawSocket(edge.port)))
    const slow = await Promise.all(Array.from({ length: 100 }, () => rawSocket(edge.port)))
    // Expect: 100-continue makes the server say when it has read the headers and handed the request on.
    await Promise.all(
      slow.map(
        (c) =>
          new Promise<void>((resolve) => {
            c.socket.on('data', () => {
              if (c.received().startsWith('HTTP/1.1 100')) resolve()
            })
            c.socket.write(slowHeaders('Expect: 100-continue\r\n'))
          }),
      ),
    )
    const answer = await post(edge.url, callback('slow-1'))
    expect(answer.statusCode).toBe(200)
    expect(await answer.body.json()).toMatchObject({ ok: true })
    for (const c of [...slow, ...idle]) expect(c.socket.destroyed).toBe(false)
  })

  test('a body that never arrives is answered 408 and the connection closed after the request timeout', async () => {
    const edge = await ingest({ INGEST_HEADERS_TIMEOUT_MS: '200', INGEST_REQUEST_TIMEOUT_MS: '300' })
    const c = await rawSocket(edge.port)
    c.socket.write(`${slowHeaders()}{"event":`)
    await c.closed
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/)
  }, 10_000)

  test('headers that never finish are cut off after the headers timeout', async () => {
    const edge = await ingest({ INGEST_HEADERS_TIMEOUT_MS: '200', INGEST_REQUEST_TIMEOUT_MS: '10000' })
    const c = await rawSocket(edge.port)
    c.socket.write('POST /zego/callback HTTP/1.1\r\nHost: x\r\nContent-Ty')
    await c.closed
    expect(c.received()).toMatch(/^HTTP\/1\.1 408/)
  }, 10_000)

  test('keep-alive outlasts a load balancer by default (65 s) and is configurable', async () => {
    const keepAlive = async (env: Record<string, string>) => {
      const res = await request(`${(await ingest(env)).url}/healthz`)
      await res.body.dump()
      return res.headers['keep-alive']
    }
    expect(await keepAlive({})).toBe('timeout=65')
    expect(await keepAlive({ INGEST_KEEP_ALIVE_TIMEOUT_MS: '90000' })).toBe('timeout=90')
  })
})

test('draining fails readiness but keeps taking callbacks until close', async () => {
  const running = await ingest({})
  expect((await request(`${running.url}/readyz`)).statusCode).toBe(200)
  running.drain()
  const ready = await request(`${running.url}/readyz`)
  expect(ready.statusCode).toBe(503)
  expect(await ready.body.json()).toMatchObject({ reason: 'draining' })
  const answer = await post(running.url, callback('drain-1'))
  expect(answer.statusCode).toBe(200)
  expect(await answer.body.json()).toMatchObject({ ok: true })
})
