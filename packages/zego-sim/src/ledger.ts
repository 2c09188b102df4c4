import type { MixTask, TaskEndReason, WorldEvent } from './world-types.ts'

/**
 * The books: what each mix task cost (billed mix-seconds, of which idle: running with no live input),
 * every stop call with who made it, and how often the API answered "overloaded". Mix-seconds are
 * simulated seconds; call times carry both the simulated and the real receive time.
 */

export interface ApiCallRecord {
  action: string
  appId: number | undefined
  /** Real wall-clock ms at which the simulator received the call (rate limits run on this clock). */
  receivedAt: number
  /** Simulated ms at the same moment. */
  simAt: number
  code: number
  requestId: string
  taskId: string | undefined
  userId: string | undefined
  /** Who called, from the `x-sim-caller` header (e.g. `customer`, `mixguard`). */
  caller: string | undefined
}

export interface TaskLedgerEntry
  extends Pick<MixTask, 'appId' | 'taskId' | 'kind' | 'instance' | 'userId' | 'roomId'> {
  startedAt: number
  endedAt: number | undefined
  endReason: TaskEndReason | undefined
  /** Simulated seconds from start to end (or to now while running). */
  billedSec: number
  /** The part of billedSec with no live input. */
  idleSec: number
}

export interface LedgerTotals {
  tasks: number
  running: number
  billedSec: number
  idleSec: number
  stopCalls: number
  overloads: Record<string, number>
}

export interface Ledger {
  /** Feed every world event (the simulator subscribes it). */
  apply(event: WorldEvent): void
  recordCall(call: ApiCallRecord): void
  tasks(now: number, appId?: number): TaskLedgerEntry[]
  task(appId: number, taskId: string, now: number): TaskLedgerEntry | undefined
  stopCalls(appId?: number): ApiCallRecord[]
  calls(appId?: number): ApiCallRecord[]
  /** Overload answers per Action. */
  overloads(): Record<string, number>
  totals(now: number): LedgerTotals
}

/** A task as the ledger tracks it: billing is derived on read, from its idle time so far. */
interface Entry extends Omit<TaskLedgerEntry, 'billedSec' | 'idleSec'> {
  idleMs: number
  idleSince: number | undefined
}

const STOP_ACTIONS: ReadonlySet<string> = new Set(['StopMix', 'StopAutoMix'])

/** The overload codes ZEGO answers when a call goes over its rate limit (plus the room-API ones we use). */
const OVERLOAD_CODES: ReadonlySet<number> = new Set([110200190, 110200191, 110200194, 206, 207])

export function createLedger(options: { maxCalls?: number } = {}): Ledger {
  const maxCalls = options.maxCalls ?? 200_000
  const entries = new Map<number, Entry>()
  const calls: ApiCallRecord[] = []
  const overloads: Record<string, number> = {}

  const view = (e: Entry, now: number): TaskLedgerEntry => {
    const end = e.endedAt ?? Math.max(now, e.startedAt)
    const idleMs = e.idleMs + (e.idleSince !== undefined ? Math.max(0, end - e.idleSince) : 0)
    return {
      appId: e.appId,
      taskId: e.taskId,
      kind: e.kind,
      instance: e.instance,
      userId: e.userId,
      roomId: e.roomId,
      startedAt: e.startedAt,
      endedAt: e.endedAt,
      endReason: e.endReason,
      billedSec: (end - e.startedAt) / 1000,
      idleSec: idleMs / 1000,
    }
  }

  return {
    apply(event) {
      switch (event.type) {
        case 'task_started': {
          const t = event.task
          entries.set(t.instance, {
            appId: t.appId,
            taskId: t.taskId,
            kind: t.kind,
            instance: t.instance,
            userId: t.userId,
            roomId: t.roomId,
            startedAt: event.at,
            endedAt: undefined,
            endReason: undefined,
            idleMs: 0,
            idleSince: undefined,
          })
          return
        }
        case 'task_updated': {
          const e = entries.get(event.task.instance)
          if (e) {
            e.userId = event.task.userId
            e.roomId = event.task.roomId
          }
          return
        }
        case 'task_idle': {
          const e = entries.get(event.task.instance)
          if (e && e.idleSince === undefined) e.idleSince = event.at
          return
        }
        case 'task_active': {
          const e = entries.get(event.task.instance)
          if (e?.idleSince !== undefined) {
            e.idleMs += event.at - e.idleSince
            e.idleSince = undefined
          }
          return
        }
        case 'task_ended': {
          const e = entries.get(event.task.instance)
          if (e) {
            if (e.idleSince !== undefined) e.idleMs += event.at - e.idleSince
            e.idleSince = undefined
            e.endedAt = event.at
            e.endReason = event.reason
          }
          return
        }
        case 'stream_created':
        case 'stream_closed':
        case 'room_closed':
          return
      }
    },
    recordCall(call) {
      calls.push(call)
      if (calls.length > maxCalls) calls.splice(0, calls.length - maxCalls)
      if (OVERLOAD_CODES.has(call.code)) overloads[call.action] = (overloads[call.action] ?? 0) + 1
    },
    tasks: (now, appId) =>
      [...entries.values()].filter((e) => appId === undefined || e.appId === appId).map((e) => view(e, now)),
    task(appId, taskId, now) {
      let latest: Entry | undefined
      for (const e of entries.values()) if (e.appId === appId && e.taskId === taskId) latest = e
      return latest && view(latest, now)
    },
    stopCalls: (appId) =>
      calls.filter((c) => STOP_ACTIONS.has(c.action) && (appId === undefined || c.appId === appId)),
    calls: (appId) => calls.filter((c) => appId === undefined || c.appId === appId),
    overloads: () => ({ ...overloads }),
    totals(now) {
      const all = [...entries.values()].map((e) => view(e, now))
      return {
        tasks: all.length,
        running: all.filter((e) => e.endedAt === undefined).length,
        billedSec: all.reduce((s, e) => s + e.billedSec, 0),
        idleSec: all.reduce((s, e) => s + e.idleSec, 0),
        stopCalls: calls.filter((c) => STOP_ACTIONS.has(c.action)).length,
        overloads: { ...overloads },
      }
    },
  }
}
