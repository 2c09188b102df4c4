// Load from `wrk` (Debian: `apt-get install wrk`), a C load generator that costs the server under test
// little CPU: `threads` threads, `connections` keep-alive connections, distinct signed callbacks
// (callbacks.lua). runWrk is closed loop (each connection sends the next callback as soon as the
// previous one is answered); runPacedWrk is open loop at a fixed rate.
import { fileURLToPath } from 'node:url'
import { spawnOwned } from './teardown.ts'

export interface WrkResult {
  requests: number
  seconds: number
  perSecond: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** Answers other than 2xx/3xx, and socket errors (connect, read, write, timeout). */
  non2xx: number
  socketErrors: number
  /** How often the callbacks file ran out and started over (its callbacks then repeat). */
  wraps: number
}

const SCRIPT = fileURLToPath(new URL('callbacks.lua', import.meta.url))

export async function runWrk(options: {
  url: string
  path: string
  callbacksFile: string
  seconds: number
  connections: number
  threads: number
}): Promise<WrkResult> {
  const r = await wrkSummary(options, [options.callbacksFile, options.path])
  const n = (k: string) => r[k] ?? 0
  const seconds = n('durationUs') / 1e6
  return {
    requests: n('requests'),
    seconds,
    perSecond: n('requests') / seconds,
    p50Ms: n('p50Us') / 1000,
    p99Ms: n('p99Us') / 1000,
    maxMs: n('maxUs') / 1000,
    non2xx: n('non2xx'),
    socketErrors: n('connectErrors') + n('readErrors') + n('writeErrors') + n('timeouts'),
    wraps: n('wraps'),
  }
}

/** A paced run (callbacks.lua with a rate): latencies count from each callback's due time. */
export interface PacedWrkResult {
  /** Callbacks the rate asks for in the run's seconds; sent; answered 200; answered otherwise. */
  offered: number
  sent: number
  answered: number
  failed: number
  seconds: number
  p50Ms: number
  p90Ms: number
  p99Ms: number
  maxMs: number
  /**
   * How late the driver sent, p99 and worst (ms after the due time). Above a few ms the driver fell
   * behind: every connection was busy, or wrk itself got no CPU in time (its latencies still count from
   * the due time).
   */
  lateP99Ms: number
  lateMaxMs: number
}

/**
 * Open-loop load at `perSecond` callbacks/s in total (see callbacks.lua), on `connections` connections,
 * for app `appId` (callbacks.lua's default, BENCH_APP_ID, unless given).
 */
export async function runPacedWrk(options: {
  url: string
  path: string
  callbacksFile: string
  perSecond: number
  seconds: number
  connections: number
  threads: number
  appId?: number
}): Promise<PacedWrkResult> {
  const perThread = options.perSecond / options.threads
  const app = options.appId === undefined ? [] : [String(options.appId)]
  const r = await wrkSummary(options, [options.callbacksFile, options.path, String(perThread), ...app])
  const n = (k: string) => r[k] ?? 0
  const seconds = n('durationUs') / 1e6
  return {
    offered: Math.floor(options.perSecond * seconds),
    sent: n('sent'),
    answered: n('answered'),
    failed: n('failed'),
    seconds,
    p50Ms: n('p50Ms'),
    p90Ms: n('p90Ms'),
    p99Ms: n('p99Ms'),
    maxMs: n('maxMs'),
    lateP99Ms: n('lateP99Ms'),
    lateMaxMs: n('lateMaxMs'),
  }
}

/** Runs wrk with callbacks.lua and its arguments; the summary line its done() prints. */
async function wrkSummary(
  options: { url: string; seconds: number; connections: number; threads: number },
  scriptArgs: string[],
): Promise<Record<string, number>> {
  const args = [
    `-t${options.threads}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    '--timeout',
    '10s',
    '-s',
    SCRIPT,
    options.url,
    '--',
    ...scriptArgs,
  ]
  const wrk = spawnOwned('wrk', args, { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  wrk.child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  wrk.child.stderr?.on('data', (d: Buffer) => {
    err += d.toString()
  })
  wrk.child.once('error', (error) => {
    err += `${error.message} (is wrk installed? apt-get install wrk)`
  })
  const code = await wrk.exited
  await wrk.stop()
  const line = out.split('\n').find((l) => l.startsWith('BENCH-JSON '))
  if (code !== 0 || line === undefined) throw new Error(`wrk failed (exit ${code}): ${err || out}`)
  return JSON.parse(line.slice('BENCH-JSON '.length)) as Record<string, number>
}
