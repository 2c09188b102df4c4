import { spawn } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, WATCHDOG_SCRIPT } from '@mixguard/kafka/local'

/** A real `redis-server` (Debian's package; scripts/bootstrap.sh installs it), owned by one test. */
export interface LocalRedis {
  url: string
  port: number
  /** The redis-server process (the benchmarks read its CPU time). */
  pid: number
  /** Freezes the server (SIGSTOP): connections stay open, nothing is answered, as a stalled Redis. */
  pause(): void
  resume(): void
  /** Stops it (SIGTERM, then SIGKILL) and removes its directory. Safe to call twice. */
  stop(): Promise<void>
}

/**
 * Starts `redis-server` on 127.0.0.1 with nothing persisted (`--save '' --appendonly no`) in a fresh
 * temp dir, under the same watchdog as the local Kafka broker, so it never outlives the test process.
 * `port`: to start one again where a stopped one was (clients reconnect there); default a free one.
 */
export async function startRedisServer(options: { port?: number; startTimeoutMs?: number } = {}) {
  const port = options.port ?? (await freePort())
  const dir = await mkdtemp(join(tmpdir(), 'mixguard-redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']
  const child = spawn(
    'bash',
    [
      '-c',
      WATCHDOG_SCRIPT,
      'mixguard-redis-watchdog',
      String(process.pid),
      dir,
      'redis-server',
      ...args,
      '--dir',
      dir,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  )
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const lines: string[] = []
  let serverPid = 0
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within ${options.startTimeoutMs ?? 20_000} ms`)),
      options.startTimeoutMs ?? 20_000,
    )
    const onChunk = (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.length === 0) continue
        lines.push(line)
        // "<pid>:M <date> * Ready to accept connections tcp"
        const match = /^(\d+):M .*Ready to accept connections/.exec(line)
        if (match) {
          serverPid = Number(match[1])
          clearTimeout(timer)
          resolve()
        }
      }
    }
    child.stdout?.on('data', onChunk)
    child.stderr?.on('data', onChunk)
    void exited.then(() => {
      clearTimeout(timer)
      reject(new Error(`redis-server exited during start-up (is it installed?):\n${lines.join('\n')}`))
    })
  })
  let paused = false
  const stop = async () => {
    if (paused) process.kill(serverPid, 'SIGCONT')
    paused = false
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
    await exited
    await rm(dir, { recursive: true, force: true })
  }
  try {
    await ready
  } catch (error) {
    await stop()
    throw error
  }
  const redis: LocalRedis = {
    url: `redis://127.0.0.1:${port}`,
    port,
    pid: serverPid,
    pause() {
      process.kill(serverPid, 'SIGSTOP')
      paused = true
    },
    resume() {
      process.kill(serverPid, 'SIGCONT')
      paused = false
    },
    stop,
  }
  return redis
}
