import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { freePort } from '@mixguard/kafka/local'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { testBrokers, uniqueName } from './kafka.ts'
import { waitFor } from './wait-for.ts'

// `pnpm build`, then the services as a platform runs them: plain `node dist/main.js`, no source
// condition, and type stripping switched off, so a `.ts` file anywhere in the graph fails the test.
const children: ChildProcess[] = []
let spool: string

beforeAll(async () => {
  const pnpm = process.env.npm_execpath
  await promisify(execFile)(pnpm ? process.execPath : 'pnpm', [...(pnpm ? [pnpm] : []), 'build'], {
    env: { ...process.env, NODE_OPTIONS: '' },
  })
  spool = await mkdtemp(join(tmpdir(), 'mixguard-built-spool-'))
}, 600_000)

afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGTERM')
  await Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : null)))
  if (spool) await rm(spool, { recursive: true, force: true })
})

function startBuilt(main: string, env: Record<string, string>): ChildProcess {
  const child = spawn(process.execPath, ['--no-experimental-strip-types', main], {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  children.push(child)
  return child
}

/** The body of the first 200 from /readyz; fails at once if the process exits. */
async function readyz(port: number, child: ChildProcess): Promise<unknown> {
  let body: unknown
  await waitFor(
    `/readyz on port ${port}`,
    async () => {
      if (child.exitCode !== null)
        throw new Error(`exited with ${child.exitCode} before /readyz answered 200`)
      const answer = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null)
      if (answer?.status !== 200) return false
      body = await answer.json()
      return true
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  )
  return body
}

test('the built ingest and reconciler start with plain node and serve /readyz against a broker', async () => {
  for (const main of ['services/ingest/dist/main.js', 'services/reconciler/dist/main.js'])
    expect(existsSync(main), `${main} after pnpm build`).toBe(true)
  const prefix = uniqueName('built')
  const common = { KAFKA_BROKERS: testBrokers().join(','), TOPIC_PREFIX: prefix }
  const [ingestPort, reconcilerPort] = [await freePort(), await freePort()]
  const ingest = startBuilt('services/ingest/dist/main.js', {
    ...common,
    INGEST_PORT: String(ingestPort),
    INGEST_ADMIN_PORT: '0',
    INGEST_SPOOL_DIR: spool,
    INGEST_LOG_LEVEL: 'warn',
    ZEGO_APP_ID: '4001',
    ZEGO_CALLBACK_SECRET: 'built-test-secret',
  })
  const reconciler = startBuilt('services/reconciler/dist/main.js', {
    ...common,
    RECONCILER_PORT: String(reconcilerPort),
    RECONCILER_GROUP_ID: uniqueName('built-group'),
    RECONCILER_LOG_LEVEL: 'warn',
  })
  expect(await readyz(ingestPort, ingest)).toMatchObject({ ok: true })
  expect(await readyz(reconcilerPort, reconciler)).toMatchObject({
    ok: true,
    reason: 'in the consumer group',
  })
}, 180_000)
