import type { CallbackSwitches, ChaosSwitches } from './callbacks.ts'
import { defaultChaos } from './callbacks.ts'

/**
 * Behaviour where ZEGO's docs are silent (docs/zego.md §12) or that a test wants to bend.
 * Every switch is live: the control surface and tests may change it while the simulator runs.
 */
export interface ApiSwitches {
  /** StopMix/StopAutoMix on an unknown or ended task: `ok` (Code 0, idempotent), `not-found` (110209001) or `failed` (110200001). */
  stopUnknownTask: 'ok' | 'not-found' | 'failed'
  /** `always-200`: HTTP 200 with the Code in the body, as ZEGO's samples assume. `by-class`: 4xx/5xx/429 by error class. */
  httpStatus: 'always-200' | 'by-class'
  /** Accepted calls per AppId and Action per second (sliding 1 s window on the real clock). */
  ratePerSecond: number
  /** DescribeSimpleStreamList: calls per AppId per (real) second, and the minimum simulated gap per room. */
  streamListRatePerSecond: number
  streamListRoomIntervalMs: number
  /** How far a request Timestamp may be from the real clock before 100000004. */
  signatureMaxSkewSec: number
}

export const defaultApiSwitches: ApiSwitches = {
  stopUnknownTask: 'ok',
  httpStatus: 'always-200',
  ratePerSecond: 100,
  streamListRatePerSecond: 50,
  streamListRoomIntervalMs: 10_000,
  signatureMaxSkewSec: 600,
}

const defaultCallbackSwitches: CallbackSwitches = { autoEndSendsMixStop: true }

export interface Switches {
  api: ApiSwitches
  callbacks: CallbackSwitches
  chaos: ChaosSwitches
}

export interface SwitchesInput {
  api?: Partial<ApiSwitches> | undefined
  callbacks?: Partial<CallbackSwitches> | undefined
  chaos?: Partial<ChaosSwitches> | undefined
}

export function createSwitches(input: SwitchesInput = {}): Switches {
  return {
    api: { ...defaultApiSwitches, ...input.api },
    callbacks: { ...defaultCallbackSwitches, ...input.callbacks },
    chaos: { ...defaultChaos, ...input.chaos },
  }
}

/** Changes switches in place (the sender and the API hold the same objects). */
export function patchSwitches(switches: Switches, patch: SwitchesInput): Switches {
  Object.assign(switches.api, patch.api)
  Object.assign(switches.callbacks, patch.callbacks)
  Object.assign(switches.chaos, patch.chaos)
  return switches
}

/**
 * What a queued failure does to a matching call:
 * - `code`: answers ZEGO's JSON with that Code instead of doing the work;
 * - `http`: answers that HTTP status with a non-JSON body (a gateway error page), doing nothing;
 * - `delay`: holds the call `delayMs` (real time) and then does it as usual — longer than the caller's
 *   timeout, it is a timeout whose work may still happen, as with any API behind a network.
 */
export type FaultKind = 'code' | 'http' | 'delay'

/** The longest `delay` fault: a call is never held past a minute. */
export const MAX_FAULT_DELAY_MS = 60_000

/** A queued failure: the next `remaining` matching calls fail as its `kind` says. */
export interface Fault {
  appId: number | undefined
  action: string | undefined
  kind: FaultKind
  /** ZEGO's Code for `code` faults. */
  code: number
  /** HTTP status for `http` faults. */
  httpStatus: number
  /** Real ms a `delay` fault holds the call. */
  delayMs: number
  remaining: number
}

export interface FaultInput {
  appId?: number | undefined
  action?: string | undefined
  kind?: FaultKind | undefined
  code?: number | undefined
  httpStatus?: number | undefined
  delayMs?: number | undefined
  count: number
}

export interface Faults {
  add(fault: FaultInput): Fault
  /** Takes one matching failure, if any is queued. */
  take(appId: number, action: string): Fault | undefined
  list(): Fault[]
  clear(): void
}

export function createFaults(): Faults {
  let queue: Fault[] = []
  return {
    add(f) {
      const fault: Fault = {
        appId: f.appId,
        action: f.action,
        kind: f.kind ?? 'code',
        code: f.code ?? 110200001,
        httpStatus: f.httpStatus ?? 503,
        delayMs: Math.min(f.delayMs ?? 10_000, MAX_FAULT_DELAY_MS),
        remaining: f.count,
      }
      queue.push(fault)
      return { ...fault }
    },
    take(appId, action) {
      const f = queue.find(
        (q) =>
          q.remaining > 0 &&
          (q.appId === undefined || q.appId === appId) &&
          (q.action === undefined || q.action === action),
      )
      if (f === undefined) return undefined
      f.remaining -= 1
      queue = queue.filter((q) => q.remaining > 0)
      return { ...f }
    },
    list: () => queue.map((f) => ({ ...f })),
    clear() {
      queue = []
    },
  }
}
