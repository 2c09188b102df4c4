// Starts the HTTP subjects as processes of their own and waits until they answer.
import { closeSync, openSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { freePort } from '@mixguard/kafka/local'
import { waitFor } from '../test/wait-for.ts'
import { BENCH_APP_ID, BENCH_CALLBACK_SECRET } from './signed-callbacks.ts'
import { onTeardown, spawnOwned } from './teardown.ts'

export interface Subject {
  url: string
  /** The server's process, for its CPU time (its workers' too: they are its children). */
  pid: number | undefined
  /** A redis-server the subject uses (ingest's Redis nonce store), whose CPU time is counted apart. */
  redisPid?: number
  stop(): Promise<void>
}

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url))
const SOURCE = '--conditions=@mixguard/source'

/** A reference subject from http-subject.ts (bare, express or naive). */
export async function startReference(
  kind: 'bare' | 'express' | 'naive',
  naive: { brokers: string[]; topic: string } = { brokers: [], topic: '' },
): Promise<Subject> {
  const args = [
    SOURCE,
    here('http-subject.ts'),
    kind,
    naive.brokers.join(','),
    naive.topic,
    BENCH_CALLBACK_SECRET,
  ]
  const owned = spawnOwned(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] })
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: owned.child.stdout as NodeJS.ReadableStream }).once('line', (line) =>
      resolve((JSON.parse(line) as { url: string }).url),
    )
    void owned.exited.then((code) => reject(new Error(`${kind} subject exited (${code}) before listening`)))
  })
  return { url, pid: owned.child.pid, stop: owned.stop }
}

/**
 * Mixguard's ingest as deployed: `services/ingest/src/main.ts` in its own process with a real spool
 * dir, callback verification, the nonce cache and acks = all. Logs at `warn` (one access line per
 * request at `info` would measure the terminal). `env` adds to or overrides its settings (another
 * app, the passthrough's ZEGO_API_BASE_URL, a fixed INGEST_PORT…). BENCH_INGEST_NODE_FLAGS (e.g.
 * "--cpu-prof --cpu-prof-dir=/tmp/prof") go before its script.
 */
export async function startIngestProcess(
  brokers: string[],
  topicPrefix: string,
  env: Record<string, string> = {},
  logFile?: string,
): Promise<Subject> {
  const spool = await mkdtemp(join(tmpdir(), 'bench-ingest-spool-'))
  const removeSpool = onTeardown(() => rm(spool, { recursive: true, force: true }))
  const port = env.INGEST_PORT ?? String(await freePort())
  const url = `http://127.0.0.1:${port}`
  const service = await startServiceProcess('ingest', here('../services/ingest/src/main.ts'), {
    env: {
      KAFKA_BROKERS: brokers.join(','),
      TOPIC_PREFIX: topicPrefix,
      INGEST_HOST: '127.0.0.1',
      INGEST_ADMIN_PORT: '0',
      INGEST_SPOOL_DIR: spool,
      INGEST_LOG_LEVEL: process.env.BENCH_INGEST_LOG_LEVEL ?? 'warn',
      INGEST_DRAIN_DELAY_MS: '0',
      ZEGO_APP_ID: String(BENCH_APP_ID),
      ZEGO_CALLBACK_SECRET: BENCH_CALLBACK_SECRET,
      ...env,
      INGEST_PORT: port,
    },
    readyUrl: `${url}/readyz`,
    nodeFlags: nodeFlagsFrom('BENCH_INGEST_NODE_FLAGS'),
    ...(logFile === undefined ? {} : { logFile }),
  })
  return {
    url,
    pid: service.pid,
    stop: async () => {
      await service.stop()
      await removeSpool()
    },
  }
}

/** Node flags for a subject from an environment variable, space-separated (none when unset). */
export const nodeFlagsFrom = (variable: string): string[] =>
  process.env[variable]?.split(' ').filter((f) => f !== '') ?? []

/**
 * A Node entry point (`script`, from the sources) in a process of its own with `env` over this
 * process's environment; resolves once `readyUrl` answers 2xx. Its stdout goes to `logFile` when
 * given (otherwise nowhere), its stderr to ours; `nodeFlags` go before the script (e.g. --cpu-prof),
 * `args` after it.
 */
export async function startServiceProcess(
  name: string,
  script: string,
  options: {
    env: Record<string, string>
    readyUrl: string
    args?: string[]
    logFile?: string
    nodeFlags?: string[]
    /** How long it may take to stop on SIGTERM before it is killed (default 5 s). */
    stopGraceMs?: number
    /** How long it may take to get ready (default 60 s). */
    readyTimeoutMs?: number
  },
): Promise<{ stop: () => Promise<void>; exited: Promise<number | null>; pid: number | undefined }> {
  const out = options.logFile === undefined ? 'ignore' : openSync(options.logFile, 'a')
  const owned = spawnOwned(
    process.execPath,
    [...(options.nodeFlags ?? []), SOURCE, script, ...(options.args ?? [])],
    {
      env: { ...process.env, ...options.env },
      stdio: ['ignore', out, 'inherit'],
      ...(options.stopGraceMs === undefined ? {} : { graceMs: options.stopGraceMs }),
    },
  )
  if (typeof out === 'number') closeSync(out)
  let exited = false
  void owned.exited.then(() => {
    exited = true
  })
  try {
    await waitFor(
      `${name} to be ready`,
      async () => {
        if (exited) throw new Error(`${name} exited before it was ready`)
        return fetch(options.readyUrl).then(
          (r) => r.ok,
          () => false,
        )
      },
      { timeoutMs: options.readyTimeoutMs ?? 60_000, intervalMs: 100 },
    )
  } catch (error) {
    // Not left running until the whole bench run ends (the next bench would share the CPU with it).
    await owned.stop()
    throw error
  }
  return { stop: owned.stop, exited: owned.exited, pid: owned.child.pid }
}
