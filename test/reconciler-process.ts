import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'

/** A reconciler as its own OS process (`services/reconciler/src/main.ts`), for kill and restart tests. */
export interface ReconcilerProcess {
  child: ChildProcess
  /** Every JSON log line it printed. */
  logs: Array<Record<string, unknown>>
  /** Resolves with the first log line that matches. */
  line(match: (line: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>
  kill(signal: NodeJS.Signals): Promise<number | null>
}

export function spawnReconciler(env: Record<string, string>): ReconcilerProcess {
  const child = spawn(process.execPath, ['services/reconciler/src/main.ts'], {
    env: { ...process.env, ...env, RECONCILER_LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const logs: Array<Record<string, unknown>> = []
  const waiters = new Set<() => void>()
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (text) => {
    try {
      logs.push(JSON.parse(text) as Record<string, unknown>)
    } catch {
      logs.push({ msg: text })
    }
    for (const wake of [...waiters]) wake()
  })
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  return {
    child,
    logs,
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
            reject(new Error(`reconciler exited (${code}) before the awaited log line`))
        })
      })
    },
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      return exited
    },
  }
}
