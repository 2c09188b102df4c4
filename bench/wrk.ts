// Closed-loop load from `wrk` (Debian: `apt-get install wrk`), a C load generator that costs the
// server under test little CPU: `threads` threads, `connections` keep-alive connections, each sending
// the next distinct signed callback (callbacks.lua) as soon as the previous one is answered.
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
    options.callbacksFile,
    options.path,
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
  const r = JSON.parse(line.slice('BENCH-JSON '.length)) as Record<string, number>
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
