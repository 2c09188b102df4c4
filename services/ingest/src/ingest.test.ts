import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { callbackSignature } from '@mixguard/zego-api'
import { pino } from 'pino'
import { request } from 'undici'
import { afterEach, expect, test } from 'vitest'
import { loadConfig } from './config.ts'
import { startIngest } from './ingest.ts'
import type { KafkaLink } from './kafka-link.ts'
import { openSpool } from './spool.ts'

const dirs: string[] = []
afterEach(async () => {
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
  const cfg = await config({ INGEST_SHUTDOWN_DEADLINE_MS: '300', KAFKA_SEND_TIMEOUT_MS: '200' })
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

test('draining fails readiness but keeps taking callbacks until close', async () => {
  const ingest = await startIngest(await config(), {
    kafkaLink: {
      connect: async () => {},
      send: async () => {},
      reset: async () => {},
      close: async () => {},
    },
    logger: pino({ level: 'silent' }),
  })
  expect((await request(`${ingest.url}/readyz`)).statusCode).toBe(200)
  ingest.drain()
  const ready = await request(`${ingest.url}/readyz`)
  expect(ready.statusCode).toBe(503)
  expect(await ready.body.json()).toMatchObject({ reason: 'draining' })
  const answer = await post(ingest.url, callback('drain-1'))
  expect(answer.statusCode).toBe(200)
  expect(await answer.body.json()).toMatchObject({ ok: true })
  await ingest.close()
})
