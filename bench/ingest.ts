// The callback path against its references, in one run on one broker: bare node:http answering 200,
// Express + express.json() answering 200, the naive Express + kafkajs build (one send per callback,
// acks = all) and Mixguard's ingest (acks = all, real spool, verification and nonce check), each in a
// process of its own, all driven by wrk with distinct signed stream_create callbacks. Then ingest's
// latency at a fixed offered rate from wrk, paced open loop (callbacks.lua with a rate). Ingest runs
// twice: as one process with the memory nonce store, and as INGEST_WORKERS processes on one port
// sharing a real redis-server's nonce store (--workers 0 leaves that setup out).
// The rows with Kafka show the local broker's CPU per callback too: it shares the cores with the
// subject, and it is paid per produce request far more than per record (see records/send).
// Every subject first takes --warmup seconds of unmeasured wrk load (default 5): a fresh Node process
// compiles its hot path and grows its young generation over its first seconds, and the rows measure the
// steady state a long-running server is in.
// Run: pnpm bench:ingest [--seconds 5] [--connections 64] [--rate 2000] [--rate-seconds 10] [--warmup 5]
//   [--workers 2]   (--rate 0 leaves the paced rows out, --workers 0 the workers rows)
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { topicName, topicSpecs } from '@mixguard/contracts'
import { createKafka, ensureTopics } from '@mixguard/kafka'
import { freePort } from '@mixguard/kafka/local'
import { startRedisServer } from '../test/redis-server.ts'
import { waitFor } from '../test/wait-for.ts'
import { localBrokerPid } from './ingest-broker.ts'
import { readIngestStages, stagesExtra } from './ingest-stages.ts'
import { runAlone } from './kafka.ts'
import { cpuMicrosPerRequest, processCpuSeconds } from './process-cpu.ts'
import { type Row, row } from './row.ts'
import { writeSignedCallbacks } from './signed-callbacks.ts'
import { type Subject, startIngestProcess, startReference } from './subject-process.ts'
import { onTeardown } from './teardown.ts'
import { runPacedWrk, runWrk, type WrkResult } from './wrk.ts'

export interface IngestBenchOptions {
  seconds: number
  connections: number
  threads: number
  rate: number
  rateSeconds: number
  /** Seconds of unmeasured load first, so the JIT has compiled the hot path. */
  warmup: number
  /** INGEST_WORKERS of the second ingest setup (with the Redis nonce store); below 2, not run. */
  workers: number
}

export const ingestOptionSpec = {
  seconds: { type: 'string', default: '5' },
  connections: { type: 'string', default: '64' },
  threads: { type: 'string', default: '1' },
  rate: { type: 'string', default: '2000' },
  'rate-seconds': { type: 'string', default: '10' },
  warmup: { type: 'string', default: '5' },
  workers: { type: 'string', default: '2' },
} as const

/** The options from the command line; a value out of its range ends the bench with a usage error (exit 2). */
export function ingestOptions(values: Record<string, string | boolean | undefined>): IngestBenchOptions {
  const options = {
    seconds: Number(values.seconds),
    connections: Number(values.connections),
    threads: Number(values.threads),
    rate: Number(values.rate),
    rateSeconds: Number(values['rate-seconds']),
    warmup: Number(values.warmup),
    workers: Number(values.workers),
  }
  const wrong = (
    [
      ['seconds', options.seconds > 0, 'a number of seconds above 0'],
      [
        'connections',
        Number.isInteger(options.connections) && options.connections >= 1,
        'a whole number ≥ 1',
      ],
      ['threads', Number.isInteger(options.threads) && options.threads >= 1, 'a whole number ≥ 1'],
      [
        'rate',
        Number.isInteger(options.rate) && options.rate >= 0,
        'a whole number of callbacks/s (0: no paced rows)',
      ],
      ['rate-seconds', options.rateSeconds > 0, 'a number of seconds above 0'],
      ['warmup', options.warmup >= 0, 'a number of seconds, 0 or more'],
      [
        'workers',
        Number.isInteger(options.workers) && options.workers >= 0,
        'a whole number (below 2: no workers rows)',
      ],
    ] as const
  ).filter(([, ok]) => !ok)
  if (wrong.length > 0) {
    for (const [name, , want] of wrong)
      console.error(`--${name} wants ${want}, not ${JSON.stringify(values[name])}`)
    process.exit(2)
  }
  return options
}

/**
 * A wrk run, with the server processes' CPU time per callback (null where /proc is not there), and the
 * local broker's (null for a subject without Kafka).
 */
type Measured = WrkResult & {
  cpuMicros: number | null
  redisCpuMicros: number | null
  brokerCpuMicros: number | null
  /** Ingest's own view of the window (in-ingest time, Kafka sends): see ingest-stages.ts. */
  stages: Row['extra']
}

/** A subject under load; ingest's admin listeners, when known, give its stage columns. */
type Loaded = Subject & { adminUrls?: string[] }

/** An ingest setup: how it is started, and what it is called in the table. */
interface IngestSetup {
  label: string
  prefix: string
  env: Record<string, string>
  /** The redis-server of the Redis nonce store, whose CPU time counts too. */
  redisPid?: number
}

/** Callbacks per file: more than any subject here can take in the run (the HTTP ceiling is ~20k/s). */
const CEILING_PER_SECOND = 40_000

export async function benchIngest(
  brokers: string[],
  options: IngestBenchOptions,
  progress: (message: string) => void,
): Promise<Row[]> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-callbacks-'))
  const removeDir = onTeardown(() => rm(dir, { recursive: true, force: true }))
  const kafka = createKafka({ brokers, clientId: 'bench-ingest' })
  const run = `r${Date.now().toString(36)}`
  const prefix = `bench-ingest-${run}`
  const naiveTopic = `bench-naive-${run}`
  await ensureTopics(kafka, [...topicSpecs(prefix), { name: naiveTopic, partitions: 1 }])
  const inKafka = async (topic: string): Promise<number> => {
    const admin = kafka.admin()
    await admin.connect()
    try {
      return (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high) - Number(p.low), 0)
    } finally {
      await admin.disconnect()
    }
  }

  // The broker shares the cores with the subject: its CPU per callback is part of what Kafka costs.
  const brokerPid = await localBrokerPid(brokers)
  let file = 0
  // Fresh timestamps for each run, well inside ingest's 300 s freshness window; distinct nonces throughout.
  const load = async (subject: Loaded, seconds: number, kafka = true): Promise<Measured> => {
    const callbacksFile = join(dir, `callbacks-${file}.txt`)
    await writeSignedCallbacks(callbacksFile, CEILING_PER_SECOND * seconds, `${run}-${file++}`)
    const cpuFrom = await processCpuSeconds(subject.pid)
    const redisFrom = await processCpuSeconds(subject.redisPid)
    const brokerFrom = kafka ? await processCpuSeconds(brokerPid) : null
    const stagesFrom = subject.adminUrls && (await readIngestStages(subject.adminUrls))
    const result = await runWrk({
      ...options,
      url: subject.url,
      path: '/zego/callback',
      callbacksFile,
      seconds,
    })
    const cpuMicros = await cpuMicrosPerRequest(subject.pid, cpuFrom, result.requests)
    const redisCpuMicros = await cpuMicrosPerRequest(subject.redisPid, redisFrom, result.requests)
    const brokerCpuMicros = await cpuMicrosPerRequest(brokerPid, brokerFrom, result.requests)
    const stages =
      subject.adminUrls && stagesFrom
        ? stagesExtra(stagesFrom, await readIngestStages(subject.adminUrls))
        : {}
    await rm(callbacksFile)
    return { ...result, cpuMicros, redisCpuMicros, brokerCpuMicros, stages }
  }
  const warm = async (subject: Subject): Promise<void> => {
    if (options.warmup > 0) await load(subject, options.warmup)
  }
  const measure = async (name: string, subject: Loaded, kafka = true): Promise<Measured> => {
    try {
      await warm(subject)
      progress(
        `http: ${name}, wrk ${options.threads} thread, ${options.connections} connections, ${options.seconds} s`,
      )
      return await load(subject, options.seconds, kafka)
    } finally {
      await subject.stop()
    }
  }
  const wrkRow = (subject: string, r: Measured, bare: number, extra: Row['extra'] = {}): Row =>
    row('ingest', subject, {
      throughput: r.perSecond,
      unit: 'callbacks/s',
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      extra: {
        'of bare': `${Math.round((100 * r.perSecond) / bare)} %`,
        'non-2xx': r.non2xx,
        'socket errors': r.socketErrors,
        'warm-up s (not counted)': options.warmup,
        ...(r.cpuMicros === null ? {} : { 'server CPU µs/callback': r.cpuMicros }),
        ...(r.redisCpuMicros === null ? {} : { 'Redis CPU µs/callback': r.redisCpuMicros }),
        ...(r.brokerCpuMicros === null ? {} : { 'broker CPU µs/callback': r.brokerCpuMicros }),
        ...r.stages,
        ...(r.wraps > 0 ? { 'callbacks repeated (file ran out)': r.wraps } : {}),
        ...extra,
      },
    })

  let stopRedis = async (): Promise<void> => {}
  try {
    const bare = await measure('bare node:http', await startReference('bare'), false)
    const express = await measure('express', await startReference('express'), false)
    const naive = await measure('naive', await startReference('naive', { brokers, topic: naiveTopic }))
    const naiveStored = await inKafka(naiveTopic)
    const setups: IngestSetup[] = [{ label: '1 process, memory nonce store', prefix, env: {} }]
    if (options.workers > 1) {
      const redis = await startRedisServer()
      stopRedis = onTeardown(() => redis.stop())
      const env = {
        INGEST_WORKERS: String(options.workers),
        INGEST_NONCE_STORE: 'redis',
        REDIS_URL: redis.url,
      }
      const workersPrefix = `${prefix}-workers`
      await ensureTopics(kafka, topicSpecs(workersPrefix))
      setups.push({
        label: `${options.workers} workers, Redis nonce store`,
        prefix: workersPrefix,
        env,
        redisPid: redis.pid,
      })
    }
    const ingestRows: Row[] = []
    for (const setup of setups) {
      const ingest = await measure(
        `Mixguard ingest, ${setup.label}`,
        await startIngestWithAdmin(brokers, setup.prefix, setup),
      )
      ingestRows.push(
        wrkRow(
          `Mixguard ingest (${setup.label}), acks = all, spool, verification, nonce check`,
          ingest,
          bare.perSecond,
          { 'records in Kafka': await inKafka(topicName('events', setup.prefix)) },
        ),
      )
    }
    const pacedRows: Row[] = []
    for (const setup of options.rate > 0 ? setups : [])
      pacedRows.push(await pacedIngest(brokers, setup, { dir, run, warm, brokerPid }, options, progress))
    return [
      wrkRow('bare node:http answering 200 (reference)', bare, bare.perSecond),
      wrkRow('Express + express.json() answering 200 (reference)', express, bare.perSecond),
      wrkRow(
        'naive: Express + kafkajs, one send per callback, acks = all (reference)',
        naive,
        bare.perSecond,
        {
          'records in Kafka': naiveStored,
        },
      ),
      ...ingestRows,
      ...pacedRows,
    ]
  } finally {
    await stopRedis()
    await removeDir()
  }
}

/**
 * Connections of the paced row: enough that a queue forms in ingest, not in the driver (at 2,000/s,
 * 256 connections fall behind only once the mean answer takes over 128 ms).
 */
const PACED_CONNECTIONS = 256
/** Sends later than this at p99 mean the driver ran out of free connections (or of CPU). */
const FELL_BEHIND_MS = 5

/** Ingest's latency at `rate` callbacks/s offered, open loop (see callbacks.lua). */
async function pacedIngest(
  brokers: string[],
  setup: IngestSetup,
  files: {
    dir: string
    run: string
    warm: (subject: Subject) => Promise<void>
    brokerPid: number | undefined
  },
  options: IngestBenchOptions,
  progress: (message: string) => void,
): Promise<Row> {
  const prefix = `${setup.prefix}-paced`
  await ensureTopics(createKafka({ brokers, clientId: 'bench-ingest' }), topicSpecs(prefix))
  const callbacksFile = join(files.dir, `paced-${prefix}.txt`)
  // A second more than the run: wrk's clock starts before its connections, and a late driver catches up.
  await writeSignedCallbacks(
    callbacksFile,
    options.rate * (options.rateSeconds + 1),
    `${files.run}-${prefix}`,
  )
  const ingest = await startIngestWithAdmin(brokers, prefix, setup)
  const adminUrls = ingest.adminUrls
  try {
    await files.warm(ingest)
    progress(
      `http: Mixguard ingest (${setup.label}) at ${options.rate}/s offered for ${options.rateSeconds} s (open loop, wrk ${PACED_CONNECTIONS} connections)`,
    )
    const cpuFrom = await processCpuSeconds(ingest.pid)
    const redisFrom = await processCpuSeconds(ingest.redisPid)
    const brokerFrom = await processCpuSeconds(files.brokerPid)
    const stagesFrom = await readIngestStages(adminUrls)
    const r = await runPacedWrk({
      url: ingest.url,
      path: '/zego/callback',
      callbacksFile,
      perSecond: options.rate,
      seconds: options.rateSeconds,
      connections: PACED_CONNECTIONS,
      threads: 1,
    })
    const stages = stagesExtra(stagesFrom, await readIngestStages(adminUrls))
    const cpuMicros = await cpuMicrosPerRequest(ingest.pid, cpuFrom, r.answered)
    const redisCpuMicros = await cpuMicrosPerRequest(ingest.redisPid, redisFrom, r.answered)
    const brokerCpuMicros = await cpuMicrosPerRequest(files.brokerPid, brokerFrom, r.answered)
    return row(
      'ingest',
      `Mixguard ingest (${setup.label}) at ${options.rate.toLocaleString('en-US')} callbacks/s offered (open loop)`,
      {
        throughput: r.answered / r.seconds,
        unit: 'callbacks/s',
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        extra: {
          'warm-up s (not counted)': options.warmup,
          'p90 ms': r.p90Ms,
          'max ms': r.maxMs,
          failed: r.failed,
          'sends late ms p99/max': `${r.lateP99Ms.toFixed(1)}/${r.lateMaxMs.toFixed(1)}`,
          ...(r.lateP99Ms > FELL_BEHIND_MS
            ? { 'driver fell behind': 'yes (every connection busy, or wrk short of CPU)' }
            : {}),
          ...stages,
          ...(cpuMicros === null ? {} : { 'server CPU µs/callback': cpuMicros }),
          ...(redisCpuMicros === null ? {} : { 'Redis CPU µs/callback': redisCpuMicros }),
          ...(brokerCpuMicros === null ? {} : { 'broker CPU µs/callback': brokerCpuMicros }),
        },
      },
    )
  } finally {
    await ingest.stop()
  }
}

/** Ingest for a setup, with its admin listeners on known ports (worker i on adminPort + i) to read its metrics. */
async function startIngestWithAdmin(
  brokers: string[],
  prefix: string,
  setup: IngestSetup,
): Promise<Subject & { adminUrls: string[] }> {
  const adminPort = await freePort()
  const workers = Number(setup.env.INGEST_WORKERS ?? '1')
  const adminUrls = Array.from({ length: workers }, (_, i) => `http://127.0.0.1:${adminPort + i}`)
  const started = await startIngestProcess(brokers, prefix, {
    ...setup.env,
    INGEST_ADMIN_PORT: String(adminPort),
  })
  // Ready on its port does not yet mean every admin listener is up (it binds after the main one).
  await waitFor("ingest's admin listeners", () =>
    readIngestStages(adminUrls).then(
      () => true,
      () => false,
    ),
  )
  return { ...started, ...(setup.redisPid === undefined ? {} : { redisPid: setup.redisPid }), adminUrls }
}

if (import.meta.main) {
  const options = ingestOptions(parseArgs({ options: ingestOptionSpec }).values)
  await runAlone((brokers, progress) => benchIngest(brokers, options, progress))
}
