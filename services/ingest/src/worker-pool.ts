import cluster, { type Worker } from 'node:cluster'

/** Set by the primary in each worker's environment: which worker it is (its spool and admin port). */
export const WORKER_INDEX_VARIABLE = 'MIXGUARD_INGEST_WORKER'

export interface WorkerPool {
  /** Passes a stop signal on to every worker: each drains and closes as a lone ingest does. */
  stop(signal: 'SIGTERM' | 'SIGINT'): void
  /** Kills the workers still running (the hard stop after the deadline). */
  kill(): void
  /**
   * Resolves once every worker has exited: 0 when each stopped cleanly after `stop`, else the worst
   * exit code (1 for a signal).
   */
  exited: Promise<number>
}

export type WorkerPoolEvent =
  | { type: 'started'; index: number; pid: number | undefined }
  | { type: 'died'; index: number; code: number | null; signal: string | null }

/**
 * INGEST_WORKERS ingest processes on one port (node:cluster: the primary accepts connections and
 * hands them out in turn). A worker that exits on its own takes the others down (SIGINT: no drain),
 * so the orchestrator restarts the whole ingest and every spool is drained again by its worker.
 */
export function startWorkerPool(count: number, onEvent: (event: WorkerPoolEvent) => void): WorkerPool {
  const live = new Set<Worker>()
  let stopping = false
  let worst = 0
  let resolveExited: (code: number) => void = () => {}
  const exited = new Promise<number>((resolve) => {
    resolveExited = resolve
  })
  const signalAll = (signal: 'SIGTERM' | 'SIGINT' | 'SIGKILL'): void => {
    for (const worker of live) worker.process.kill(signal)
  }
  for (let index = 0; index < count; index += 1) {
    const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) })
    live.add(worker)
    onEvent({ type: 'started', index, pid: worker.process.pid })
    worker.on('exit', (code: number | null, signal: string | null) => {
      live.delete(worker)
      worst = Math.max(worst, code ?? 1)
      if (!stopping) {
        stopping = true
        worst = Math.max(worst, 1)
        onEvent({ type: 'died', index, code, signal })
        signalAll('SIGINT')
      }
      if (live.size === 0) resolveExited(worst)
    })
  }
  return {
    stop(signal) {
      stopping = true
      signalAll(signal)
    },
    kill: () => signalAll('SIGKILL'),
    exited,
  }
}
