// Ingest throughput and acknowledgement latency at acks = all, beside two references measured in the
// same run on the same machine: a bare node:http server answering 200 (the HTTP ceiling) and a raw
// batched kafkajs producer (the Kafka ceiling). Loopback only; bounded in count and in time.
// Run: node bench/ingest.ts [callbacks=20000] [concurrency=64] [maxSecondsPerRun=30]
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, startIngest } from '@mixguard/ingest'
import { createIdempotentProducer, createKafka, ensureTopics } from '@mixguard/kafka'
import { provideKafka } from '@mixguard/kafka/local'
import { callbackSignature } from '@mixguard/zego-api'
import { pino } from 'pino'
import { Pool } from 'undici'

const total = Number(process.argv[2] ?? 20_000)
const concurrency = Number(process.argv[3] ?? 64)
const maxMs = Number(process.argv[4] ?? 30) * 1000
const warmup = Math.min(1_000, Math.floor(total / 10))
const APP_ID = 4001
const SECRET = 'bench-callback-secret'

interface Result {
  name: string
  done: number
  failed: number
  seconds: number
  latenciesMs: number[]
}

/** A signed stream_create callback, distinct per index (its own nonce and stream). */
function callback(i: number, run: string): string {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const nonce = `${run}-${i}`
  return JSON.stringify({
    event: 'stream_create',
    appid: String(APP_ID),
    timestamp,
    nonce,
    signature: callbackSignature(SECRET, timestamp, nonce),
    room_id: `room-${i % 200}`,
    room_session_id: String(900_000 + (i % 200)),
    user_id: `user-${i}`,
    user_name: `user-${i}`,
    channel_id: `room-${i % 200}`,
    stream_id: `stream-${run}-${i}`,
    stream_sid: `sid-${run}-${i}`,
    stream_alias: `stream-${run}-${i}`,
    stream_seq: String(i),
    create_time: timestamp,
    create_time_ms: `${timestamp}123`,
    recreate: '0',
    extra_info: '',
    title: '',
    stream_attr: '{"cid":0}',
    publish_id: `user-${i}`,
    publish_name: `user-${i}`,
    rtmp_url: [`rtmp://example.invalid/live/stream-${i}`],
    hls_url: [`https://example.invalid/live/stream-${i}.m3u8`],
    hdl_url: [`https://example.invalid/live/stream-${i}.flv`],
    pic_url: [],
  })
}

/** `concurrency` keep-alive connections posting callbacks until `count` are answered or time runs out. */
async function drive(
  name: string,
  origin: string,
  path: string,
  count: number,
  run: string,
): Promise<Result> {
  const pool = new Pool(origin, { connections: concurrency, pipelining: 1 })
  const bodies = Array.from({ length: count }, (_, i) => callback(i, run))
  const latenciesMs: number[] = []
  let next = 0
  let failed = 0
  const began = performance.now()
  const deadline = began + maxMs
  const worker = async (): Promise<void> => {
    while (next < count && performance.now() < deadline) {
      const body = bodies[next++] as string
      const t0 = performance.now()
      const res = await pool.request({
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      })
      await res.body.dump()
      if (res.statusCode === 200) latenciesMs.push(performance.now() - t0)
      else failed += 1
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const seconds = (performance.now() - began) / 1000
  await pool.close()
  return { name, done: latenciesMs.length, failed, seconds, latenciesMs }
}

async function bareHttp(): Promise<Result> {
  const server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"ok":true}')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  await drive('warmup', origin, '/', warmup, 'w0')
  const result = await drive('bare node:http answering 200', origin, '/', total, 'bare')
  server.closeAllConnections()
  await new Promise((r) => server.close(r))
  return result
}

async function rawProducer(brokers: string[]): Promise<Result> {
  const kafka = createKafka({ brokers, clientId: 'bench-raw' })
  const topic = `bench-raw-${Date.now()}`
  await ensureTopics(kafka, [{ name: topic, partitions: 12 }])
  const producer = createIdempotentProducer(kafka)
  await producer.connect()
  const batch = 500
  const values = Array.from({ length: total }, (_, i) => Buffer.from(callback(i, 'raw')))
  const latenciesMs: number[] = []
  const began = performance.now()
  for (let i = 0; i < total && performance.now() - began < maxMs; i += batch) {
    const t0 = performance.now()
    // One key, as ingest has with one app: one partition, the same path a single app's callbacks take.
    const messages = values.slice(i, i + batch).map((value) => ({ key: String(APP_ID), value }))
    await producer.send({ topic, acks: -1, messages })
    // Each record in a batch waits for the whole batch's acknowledgement.
    const ms = performance.now() - t0
    for (let k = 0; k < messages.length; k++) latenciesMs.push(ms)
  }
  const seconds = (performance.now() - began) / 1000
  await producer.disconnect()
  return {
    name: `raw kafkajs producer (${batch}/batch, acks = all)`,
    done: latenciesMs.length,
    failed: 0,
    seconds,
    latenciesMs,
  }
}

async function ingest(brokers: string[]): Promise<Result & { spooled: number }> {
  const spoolDir = await mkdtemp(join(tmpdir(), 'bench-ingest-spool-'))
  const loaded = loadConfig({
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: '0',
    INGEST_ADMIN_PORT: '0',
    KAFKA_BROKERS: brokers.join(','),
    TOPIC_PREFIX: `bench-${Date.now()}`,
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_MAX_CONCURRENT: String(concurrency * 2),
    ZEGO_APP_ID: String(APP_ID),
    ZEGO_CALLBACK_SECRET: SECRET,
  })
  if (!loaded.ok) throw new Error(loaded.message)
  // Errors only, on stderr: per-request lines would measure the terminal, and the table stays alone on
  // stdout (a healthy run prints nothing else; kafkajs's start-up warnings are not news here).
  const running = await startIngest(loaded.config, { logger: pino({ level: 'error' }, pino.destination(2)) })
  await drive('warmup', running.url, '/zego/callback', warmup, 'w1')
  const result = await drive(
    `ingest (linger ${loaded.config.kafka.lingerMs} ms, acks = all)`,
    running.url,
    '/zego/callback',
    total,
    'ingest',
  )
  const { spool } = running.status()
  await running.close()
  await rm(spoolDir, { recursive: true, force: true })
  return { ...result, spooled: spool.records }
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number
}

function row(r: Result): string {
  const sorted = [...r.latenciesMs].sort((a, b) => a - b)
  const cells = [
    r.name,
    String(r.done),
    String(r.failed),
    r.seconds.toFixed(2),
    Math.round(r.done / r.seconds).toLocaleString('en-US'),
    percentile(sorted, 50).toFixed(2),
    percentile(sorted, 99).toFixed(2),
  ]
  return `| ${cells.join(' | ')} |`
}

const kafka = await provideKafka({ env: process.env })
try {
  console.log(
    `kafka (${kafka.source}) on ${kafka.brokers.join(',')}; ${total} callbacks, ${concurrency} connections`,
  )
  const results = [await bareHttp(), await rawProducer(kafka.brokers)]
  const measured = await ingest(kafka.brokers)
  results.push(measured)
  console.log('')
  console.log('| run | acknowledged | failed | s | per second | p50 ms | p99 ms |')
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |')
  for (const r of results) console.log(row(r))
  console.log('')
  console.log(
    `ingest: ${measured.spooled} records left in the spool (0: every callback reached Kafka directly)`,
  )
} finally {
  await kafka.stop()
}
