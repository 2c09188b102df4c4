import type { Stack } from './stack.ts'

/**
 * Mix tasks the way a customer runs them: an input stream published, StartMix through ingest's
 * passthrough, and later (for an orphan) the input unpublished. The books come from zego-sim's ledger.
 */
export interface DrillTask {
  taskId: string
  streamId: string
  /** Simulated ms the input was closed (the grace counts from there); undefined while live. */
  closedAt: number | undefined
  /** Never orphaned: Mixguard must never stop it. */
  live: boolean
  started: boolean
}

export async function startTask(stack: Stack, taskId: string, live: boolean): Promise<DrillTask> {
  const { sim, app } = stack
  const streamId = `in-${taskId}`
  sim.actions.publish({ appId: app.appId, roomId: `room-${taskId}`, streamId, userId: `host-${taskId}` })
  const answer = await stack.customer().startMix({
    TaskId: taskId,
    UserId: `mixer-${taskId}`,
    RoomId: `room-${taskId}`,
    MixInput: [{ StreamId: streamId }],
    MixOutput: [{ StreamId: `out-${taskId}` }],
  })
  return { taskId, streamId, closedAt: undefined, live, started: answer.ok }
}

export function orphan(stack: Stack, task: DrillTask): void {
  task.closedAt = stack.sim.clock.now()
  stack.sim.actions.unpublish({ appId: stack.app.appId, streamId: task.streamId })
}

/** Resolves once every orphan has ended (stopped by anyone, or idle-ended by ZEGO). */
export function orphansEnded(stack: Stack, tasks: DrillTask[]): Promise<void> {
  const { sim, app } = stack
  const open = () =>
    tasks.filter((t) => t.started && !t.live && sim.world.runningTask(app.appId, t.taskId) !== undefined)
  return new Promise((resolve) => {
    if (open().length === 0) return resolve()
    const off = sim.world.subscribe((e) => {
      if (e.type === 'task_ended' && open().length === 0) {
        off()
        resolve()
      }
    })
  })
}

export interface StopBooks {
  orphans: number
  /** Orphans Mixguard never stopped (still running, or ended by ZEGO's idle rule). */
  missed: number
  /** StopMix calls from Mixguard beyond the first, per task. */
  duplicates: number
  /** Live tasks Mixguard called StopMix on. */
  wrongful: number
  /** The latest first StopMix, measured from the input's close plus the grace (ms; NaN if none). */
  worstBeyondGraceMs: number
}

export function stopBooks(stack: Stack, tasks: DrillTask[], graceMs: number): StopBooks {
  const { sim, app } = stack
  const calls = new Map<string, number[]>()
  for (const c of sim.ledger.stopCalls(app.appId)) {
    if (c.caller === 'customer' || c.taskId === undefined || c.action !== 'StopMix') continue
    calls.set(c.taskId, [...(calls.get(c.taskId) ?? []), c.simAt])
  }
  const now = sim.clock.now()
  const orphans = tasks.filter((t) => t.started && !t.live)
  const missed = orphans.filter(
    (t) => sim.ledger.task(app.appId, t.taskId, now)?.endReason !== 'stopped',
  ).length
  let worst = Number.NaN
  for (const t of orphans) {
    const first = calls.get(t.taskId)?.[0]
    if (first !== undefined && t.closedAt !== undefined)
      worst = Math.max(Number.isNaN(worst) ? Number.NEGATIVE_INFINITY : worst, first - (t.closedAt + graceMs))
  }
  return {
    orphans: orphans.length,
    missed,
    duplicates: [...calls.values()].reduce((sum, c) => sum + c.length - 1, 0),
    wrongful: tasks.filter((t) => t.started && t.live && calls.has(t.taskId)).length,
    worstBeyondGraceMs: worst,
  }
}
