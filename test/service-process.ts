import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A service as its own OS process (`services/<name>/src/main.ts`), for kill and restart tests and the drills. */
export interface ServiceProcess {
  child: ChildProcess
  /** Every JSON log line it printed on stdout (a line that is not JSON as `{ msg }`). */
  logs: Array<Record<string, unknown>>
  /** Every line it printed on stderr (crash traces, configuration errors). */
  stderr: string[]
  /** Resolves with the exit code (null when a signal ended it). */
  exited: Promise<number | null>
  /** Resolves with the first log line that matches. */
  line(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  kill(signal: NodeJS.Signals): Promise<number | null>
}

export interface SpawnOptions {
  /** Copy its stderr to ours too (default true: a crash in a test should be seen). */
  echoStderr?: boolean
}

export function spawnService(
  service: 'ingest' | 'reconciler',
  env: Record<string, string>,
  options: SpawnOptions = {},
): ServiceProcess {
  // From the sources: workspace packages export them under this condition (their build otherwise).
  const child = spawn(
    process.execPath,
    ['--conditions=@mixguard/source', `services/${service}/src/main.ts`],
    {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  )
  const logs: Array<Record<string, unknown>> = []
  const stderr: string[] = []
  const waiters = new Set<() => void>()
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    try {
      logs.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      logs.push({ msg: text })
    }
    for (const wake of [...waiters]) wake()
  })
  createInterface({ input: child.stderr as NodeJS.ReadableStream }).on('line', (text) => {
    stderr.push(text)
    if (options.echoStderr ?? true) process.stderr.write(`[${service}] ${text}\n`)
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    logs,
    stderr,
    exited,
    line(match) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = logs.find(match)
          if (found) {
            waiters.delete(check)
            resolve(found)
          }
        }
        waiters.add(check)
        check()
        void exited.then((code) => {
          if (waiters.delete(check))
            reject(new Error(`${service} exited (${code}) before the awaited log line`))
        })
      })
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}

/** The reconciler at log level info (the tests wait on its 'joined the consumer group' line). */
export function spawnReconciler(env: Record<string, string>, options: SpawnOptions = {}): ServiceProcess {
  return spawnService('reconciler', { ...env, RECONCILER_LOG_LEVEL: 'info' }, options)
}
