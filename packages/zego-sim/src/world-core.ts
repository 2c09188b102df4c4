import type { App, LifetimeRules, MixTask, Room, Stream, TaskEndReason, WorldEvent } from './world-types.ts'

/** The world's mutable state, shared by the stream side (world.ts) and the mix side (world-mix.ts). */
export interface WorldCore {
  readonly rules: LifetimeRules
  readonly apps: Map<number, App>
  /** Open rooms, keyed by `key(appId, roomId)`. */
  readonly rooms: Map<string, Room>
  /** Latest instance of each stream id, live or closed, keyed by `key(appId, streamId)`. */
  readonly streams: Map<string, Stream>
  /** Running tasks, keyed by `key(appId, taskId)`. */
  readonly running: Map<string, MixTask>
  /** Every task that ever ran, in start order (running ones included). */
  readonly history: MixTask[]
  readonly counters: { instance: number; sid: number; roomSession: number }
  /** Per-app counter behind the callbacks' `seq`. */
  readonly mixSeq: Map<number, number>
  emit(event: WorldEvent): void
}

export const key = (appId: number, id: string): string => `${appId}/${id}`

export function snapshot(task: MixTask): MixTask {
  return { ...task, inputs: [...task.inputs], outputs: [...task.outputs] }
}

export function nextMixSeq(core: WorldCore, appId: number): number {
  const seq = (core.mixSeq.get(appId) ?? 0) + 1
  core.mixSeq.set(appId, seq)
  return seq
}

export function liveStreamsInRoom(core: WorldCore, appId: number, roomId: string): Stream[] {
  const out: Stream[] = []
  for (const s of core.streams.values()) if (s.appId === appId && s.roomId === roomId && s.live) out.push(s)
  return out
}

/** URL inputs give no liveness signal: they count as present, as a pulled URL would keep playing. */
function hasLiveInput(core: WorldCore, task: MixTask): boolean {
  for (const input of task.inputs) {
    switch (input.kind) {
      case 'url':
        return true
      case 'stream':
        if (core.streams.get(key(task.appId, input.streamId))?.live) return true
        break
    }
  }
  return task.kind === 'auto' && liveStreamsInRoom(core, task.appId, task.roomId).length > 0
}

/** Starts or cancels a task's idle clock after anything its inputs depend on changed. */
export function refreshTask(core: WorldCore, task: MixTask, now: number): void {
  if (!task.running) return
  const app = core.apps.get(task.appId)
  if (app === undefined) return
  const live = hasLiveInput(core, task)
  if (live && task.idleSince !== undefined) {
    task.idleSince = undefined
    task.idleDeadline = undefined
    core.emit({ type: 'task_active', at: now, app, task: snapshot(task) })
  } else if (!live && task.idleSince === undefined) {
    task.idleSince = now
    task.idleDeadline = now + task.maxIdleMs
    core.emit({ type: 'task_idle', at: now, app, task: snapshot(task) })
  }
}

export function refreshApp(core: WorldCore, appId: number, now: number): void {
  for (const task of [...core.running.values()]) if (task.appId === appId) refreshTask(core, task, now)
}

export function endTask(core: WorldCore, task: MixTask, at: number, reason: TaskEndReason): void {
  const app = core.apps.get(task.appId)
  if (!task.running || app === undefined) return
  task.running = false
  task.endedAt = at
  task.endReason = reason
  task.idleDeadline = undefined
  core.running.delete(key(task.appId, task.taskId))
  core.emit({ type: 'task_ended', at, app, task: snapshot(task), reason, seq: nextMixSeq(core, task.appId) })
}
