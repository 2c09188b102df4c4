import type { ServiceProcess } from '../test/service-process.ts'
import type { Stack } from './stack.ts'

/** Restarts the reconciler whenever it exits on its own, as a process supervisor would, and counts the crashes. */
export interface Supervisor {
  readonly crashes: number
  /** The exit codes and the last stderr line of each crash. */
  readonly causes: string[]
  current(): ServiceProcess
  /** Stops restarting (the stack stops the processes). */
  stop(): void
}

/** A reconciler that cannot stay up is not restarted forever. */
const MAX_RESTARTS = 20

export function supervise(stack: Stack, first: ServiceProcess): Supervisor {
  let current = first
  let stopped = false
  const causes: string[] = []
  const watch = (p: ServiceProcess) => {
    void p.exited.then((code) => {
      if (stopped || p !== current || p.child.signalCode === 'SIGKILL') return
      const error = p.stderr.find((l) => /^\s*\w*Error: /.test(l)) ?? p.stderr.at(-1) ?? ''
      causes.push(`exit ${code}: ${error.trim().slice(0, 160)}`)
      if (causes.length > MAX_RESTARTS) return
      current = stack.startReconciler()
      watch(current)
    })
  }
  watch(first)
  return {
    get crashes() {
      return causes.length
    },
    causes,
    current: () => current,
    stop() {
      stopped = true
    },
  }
}
