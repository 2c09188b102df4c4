import type { CallbackSwitches, ChaosSwitches } from './callbacks.ts'
import { defaultChaos } from './callbacks.ts'

/**
 * Behaviour where ZEGO's docs are silent (zego-reference.md §12) or that a test wants to bend.
 * Every switch is live: the control surface and tests may change it while the simulator runs.
 */
export interface ApiSwitches {
  /** StopMix/StopAutoMix on an unknown or ended task: `ok` (Code 0, idempotent), `not-found` (110209001) or `failed` (110200001). */
  stopUnknownTask: 'ok' | 'not-found' | 'failed'
  /** `always-200`: HTTP 200 with the Code in the body, as ZEGO's samples assume. `by-class`: 4xx/5xx/429 by error class. */
  httpStatus: 'always-200' | 'by-class'
  /** Accepted calls per AppId and Action per second (sliding 1 s window on the real clock). */
  ratePerSecond: number
  /** DescribeSimpleStreamList: calls per AppId per second, and the minimum real gap per room. */
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

export const defaultCallbackSwitches: CallbackSwitches = { autoEndSendsMixStop: true }

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

/** A queued failure: the next `remaining` matching calls answer `code` instead of doing their work. */
export interface Fault {
  appId: number | undefined
  action: string | undefined
  code: number
  remaining: number
}

export interface Faults {
  add(fault: { appId?: number | undefined; action?: string | undefined; code?: number; count: number }): Fault
  /** Takes one matching failure, if any is queued. */
  take(appId: number, action: string): number | undefined
  list(): Fault[]
  clear(): void
}

export function createFaults(): Faults {
  let queue: Fault[] = []
  return {
    add(f) {
      const fault: Fault = { appId: f.appId, action: f.action, code: f.code ?? 110200001, remaining: f.count }
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
      return f.code
    },
    list: () => queue.map((f) => ({ ...f })),
    clear() {
      queue = []
    },
  }
}
