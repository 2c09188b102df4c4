import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '@mixguard/kafka/local'
import { Client } from 'undici'
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest'
import { testBrokers, uniqueName } from '../../../test/kafka.ts'
import { type LocalRedis, startRedisServer } from '../../../test/redis-server.ts'
import { type ServiceProcess, spawnService } from '../../../test/service-process.ts'
import { CALLBACK_SECRET, callbackBody } from './app-harness.ts'
import { openSpool } from './spool.ts'
import { workerSpoolDir } from './worker-spools.ts'

// INGEST_WORKERS: several ingest processes on one port (node:cluster), as main.ts runs them, on a real
// broker and a real redis-server.
let redis: LocalRedis
beforeAll(async () => {
  redis = await startRedisServer()
})
afterAll(() => redis?.stop())

const dirs: string[] = []
const services: ServiceProcess[] = []
afterEach(async () => {
  for (const s of services.splice(0)) await s.kill('SIGKILL')
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function startCluster(env: Record<string, string>) {
  const spoolDir = await mkdtemp(join(tmpdir(), 'ingest-workers-'))
  dirs.push(spoolDir)
  const port = await freePort()
  const service = spawnService('ingest', {
    KAFKA_BROKERS: testBrokers().join(','),
    TOPIC_PREFIX: uniqueName('workers'),
    ZEGO_APP_ID: '4001',
    ZEGO_CALLBACK_SECRET: CALLBACK_SECRET,
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: String(port),
    INGEST_ADMIN_PORT: '0',
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_NONCE_STORE: 'redis',
    REDIS_URL: redis.url,
    INGEST_LOG_LEVEL: 'info',
    ...env,
  })
  services.push(service)
  return { service, url: `http://127.0.0.1:${port}`, spoolDir }
}

/** Worker `index`'s pid, from the primary's log line, once it has said it listens. */
async function listening(service: ServiceProcess, index: number): Promise<number> {
  await service.line((l) => l.worker === index && l.msg === 'ingest listening')
  const started = await service.line((l) => l.worker === index && l.msg === 'ingest worker started')
  return started.pid as number
}

/** Each on a connection of its own: the primary hands connections to the workers in turn. */
async function post(url: string, body: Record<string, string>) {
  const client = new Client(url)
  try {
    const res = await client.request({
      path: '/zego/callback',
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    })
    const json = (await res.body.json()) as { requestId: string; reason?: string }
    return { status: res.statusCode, ...json }
  } finally {
    await client.close()
  }
}

const isRunning = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

test('two workers share the port and the replay memory: a signature replayed to either with another body is refused; SIGTERM stops every worker', async () => {
  const { service, url } = await startCluster({ INGEST_WORKERS: '2' })
  const pids = [await listening(service, 0), await listening(service, 1)]

  const original = callbackBody()
  const first = await post(url, original)
  expect(first.status).toBe(200)
  // Replays with another body, until both workers have answered one (they take connections in turn).
  const answeredBy = new Set<unknown>()
  const workerOf = (requestId: string) =>
    service.line((l) => l.msg === 'request completed' && (l.req as { id: string }).id === requestId)
  for (let i = 0; i < 20 && answeredBy.size < 2; i += 1) {
    const replay = await post(url, { ...original, task_id: `4001:forged-${i}` })
    expect(replay).toMatchObject({ status: 401, reason: 'unauthenticated' })
    const line = await workerOf(replay.requestId)
    expect(line.outcome).toBe('nonce_reused')
    answeredBy.add(line.worker)
  }
  expect([...answeredBy].sort()).toEqual([0, 1])
  // The same body again is ZEGO's retry: a duplicate, whichever worker takes it.
  expect(await post(url, original)).toMatchObject({ status: 200, reason: 'duplicate' })

  expect(await service.kill('SIGTERM')).toBe(0)
  expect(pids.filter(isRunning)).toEqual([])
})

test('a worker that dies takes the others down, and the primary exits non-zero', async () => {
  const { service } = await startCluster({ INGEST_WORKERS: '2' })
  const pids = [await listening(service, 0), await listening(service, 1)]
  process.kill(pids[1] as number, 'SIGKILL')
  expect(await service.exited).toBe(1)
  expect(pids.filter(isRunning)).toEqual([])
  expect(service.logs.some((l) => l.msg === 'an ingest worker exited on its own: stopping the others')).toBe(
    true,
  )
})

test('fewer workers than spools holding records: ingest refuses to start and says how many it needs', async () => {
  const spoolDir = await mkdtemp(join(tmpdir(), 'ingest-workers-'))
  dirs.push(spoolDir)
  const { spool } = await openSpool({ dir: workerSpoolDir(spoolDir, 2), maxBytes: 1024 * 1024 })
  await spool.append([{ topic: 't.events', key: 'app', value: Buffer.from('left behind') }])
  await spool.close()
  const { service } = await startCluster({ INGEST_WORKERS: '2', INGEST_SPOOL_DIR: spoolDir })
  expect(await service.exited).toBe(2)
  expect(service.stderr.join('\n')).toContain('start once with INGEST_WORKERS=3 so they drain to Kafka')
})

test('several workers with the memory nonce store: a configuration error, before anything starts', async () => {
  const { service } = await startCluster({ INGEST_WORKERS: '2', INGEST_NONCE_STORE: 'memory', REDIS_URL: '' })
  expect(await service.exited).toBe(2)
  expect(service.stderr.join('\n')).toContain('INGEST_WORKERS=2 needs INGEST_NONCE_STORE=redis')
})
