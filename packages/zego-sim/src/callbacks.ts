import { Agent, type Dispatcher, request } from 'undici'
import {
  type CallbackEventName,
  type CallbackPayload,
  callbackFor,
  encodeCallback,
} from './callback-payloads.ts'
import type { SimClock, SimTimer, WallClock } from './clock.ts'
import { type Random, randomInt } from './random.ts'
import type { App, CallbackEncoding, WorldEvent } from './world-types.ts'

/**
 * ZEGO's callback sender: one POST per event to the app's callback URL, signed with its callback
 * secret; on a non-2xx answer or a timeout, retries 2, 4, 8, 16, 32 s (simulated) after the previous
 * attempt, then drops the callback. Chaos switches add what ZEGO warns about: duplicates, delays
 * (hence reordering), loss, and missing mix_stop on abnormal ends.
 */

export interface ChaosSwitches {
  /** Fraction of callbacks delivered twice (an independent second delivery of the same body). */
  duplicateFraction: number
  /** Fraction of callbacks never sent at all (status `lost`). */
  dropFraction: number
  /** Fraction of callbacks held back before their first attempt, so later ones overtake them. */
  delayFraction: number
  /** Upper bound of that hold, simulated ms. */
  delayMaxMs: number
  /** Fraction of abnormal task ends that send no mix_stop. ZEGO documents none: default 1. */
  omitMixStopOnAbnormal: number
}

export interface CallbackSwitches {
  /** Does an idle auto-end (MaxIdleTime, or an auto task's room gone) send mix_stop? ZEGO is silent; default yes. */
  autoEndSendsMixStop: boolean
}

export const defaultChaos: ChaosSwitches = {
  duplicateFraction: 0,
  dropFraction: 0,
  delayFraction: 0,
  delayMaxMs: 5_000,
  omitMixStopOnAbnormal: 1,
}

export const ZEGO_RETRY_SCHEDULE_MS: readonly number[] = [2_000, 4_000, 8_000, 16_000, 32_000]

export type DeliveryStatus = 'pending' | 'delivered' | 'dropped' | 'lost' | 'omitted'

export interface DeliveryAttempt {
  /** 1 for the first try, 2..6 for the retries. */
  n: number
  /** Simulated ms when the request was sent and when it failed or succeeded. */
  at: number
  finishedAt: number
  /** Real wall-clock ms when sent. */
  wallAt: number
  ok: boolean
  httpStatus: number | undefined
  error: string | undefined
}

export interface Delivery {
  id: number
  appId: number
  event: CallbackEventName
  url: string
  encoding: CallbackEncoding
  payload: CallbackPayload
  status: DeliveryStatus
  /** Simulated ms when the event happened. */
  createdAt: number
  /** Chaos applied: hold before the first attempt; the delivery this one duplicates. */
  delayedMs: number
  duplicateOf: number | undefined
  attempts: DeliveryAttempt[]
  nextAttemptAt: number | undefined
}

type DeliveryNotice = { type: 'attempt'; delivery: Delivery } | { type: 'settled'; delivery: Delivery }

export interface CallbackSenderOptions {
  clock: SimClock
  wallClock: WallClock
  /** Chaos draws; always 6 per callback, so a seed gives the same choices whatever the switch values. */
  random: Random
  /** Nonces; separate so that chaos draws do not depend on payloads. */
  nonceRandom: Random
  chaos: ChaosSwitches
  switches: CallbackSwitches
  retryScheduleMs?: readonly number[]
  /** Real ms before an attempt counts as failed (a timeout, as ZEGO retries them). Default 5000. */
  timeoutMs?: number
  dispatcher?: Dispatcher
}

export interface CallbackSender {
  /** Feed every world event; events that cause no callback are ignored. */
  handle(event: WorldEvent): void
  deliveries(filter?: { appId?: number; event?: CallbackEventName; status?: DeliveryStatus }): Delivery[]
  subscribe(listener: (notice: DeliveryNotice) => void): () => void
  /** Resolves with the first delivery (existing or future) that has settled and matches. */
  waitForSettled(match: (d: Delivery) => boolean): Promise<Delivery>
  /** Resolves when no delivery is pending and no attempt is in flight. */
  idle(): Promise<void>
  close(): Promise<void>
}

export function createCallbackSender(options: CallbackSenderOptions): CallbackSender {
  const { clock, wallClock, random, nonceRandom, chaos, switches } = options
  const schedule = options.retryScheduleMs ?? ZEGO_RETRY_SCHEDULE_MS
  const timeoutMs = options.timeoutMs ?? 5_000
  const ownAgent = options.dispatcher === undefined ? new Agent({ keepAliveTimeout: 1_000 }) : undefined
  const dispatcher = options.dispatcher ?? (ownAgent as Agent)
  const closing = new AbortController()
  const all: Delivery[] = []
  const timers = new Map<number, SimTimer>()
  const listeners = new Set<(n: DeliveryNotice) => void>()
  let inFlight = 0
  let nextId = 1

  const notify = (notice: DeliveryNotice): void => {
    for (const l of listeners) l(notice)
  }
  const settle = (d: Delivery, status: Exclude<DeliveryStatus, 'pending'>): void => {
    d.status = status
    d.nextAttemptAt = undefined
    notify({ type: 'settled', delivery: d })
  }

  const scheduleAttempt = (d: Delivery, delayMs: number): void => {
    if (delayMs <= 0) {
      void attempt(d)
      return
    }
    d.nextAttemptAt = clock.now() + delayMs
    timers.set(
      d.id,
      clock.setTimer(delayMs, () => {
        timers.delete(d.id)
        void attempt(d)
      }),
    )
  }

  const attempt = async (d: Delivery): Promise<void> => {
    if (closing.signal.aborted) return
    d.nextAttemptAt = undefined
    const { body, contentType } = encodeCallback(d.payload, d.encoding)
    const record: DeliveryAttempt = {
      n: d.attempts.length + 1,
      at: clock.now(),
      finishedAt: clock.now(),
      wallAt: wallClock.now(),
      ok: false,
      httpStatus: undefined,
      error: undefined,
    }
    inFlight += 1
    try {
      const res = await request(d.url, {
        method: 'POST',
        body,
        headers: { 'content-type': contentType },
        dispatcher,
        signal: AbortSignal.any([closing.signal, AbortSignal.timeout(timeoutMs)]),
      })
      await res.body.dump()
      record.httpStatus = res.statusCode
      record.ok = res.statusCode >= 200 && res.statusCode < 300
    } catch (err) {
      record.error = err instanceof Error ? `${err.name}: ${err.message}` : String(err)
    } finally {
      inFlight -= 1
    }
    if (closing.signal.aborted) return
    record.finishedAt = clock.now()
    d.attempts.push(record)
    notify({ type: 'attempt', delivery: d })
    if (record.ok) return settle(d, 'delivered')
    const gap = schedule[record.n - 1]
    // Retries are counted from the end of the failed attempt ("after the previous attempt").
    if (gap === undefined) return settle(d, 'dropped')
    scheduleAttempt(d, gap)
  }

  const create = (app: App, payload: CallbackPayload, at: number, duplicateOf?: number): Delivery => {
    const d: Delivery = {
      id: nextId++,
      appId: app.appId,
      event: payload.event as CallbackEventName,
      url: app.callbackUrl ?? '',
      encoding: app.callbackEncoding,
      payload,
      status: 'pending',
      createdAt: at,
      delayedMs: 0,
      duplicateOf,
      attempts: [],
      nextAttemptAt: undefined,
    }
    all.push(d)
    return d
  }

  const omitted = (event: WorldEvent, omitDraw: number): boolean => {
    if (event.type !== 'task_ended') return false
    switch (event.reason) {
      case 'stopped':
        return false
      case 'idle':
      case 'room_gone':
        return !switches.autoEndSendsMixStop
      case 'abnormal':
        return omitDraw < chaos.omitMixStopOnAbnormal
    }
  }

  return {
    handle(event) {
      const { app } = event
      if (app.callbackUrl === undefined || closing.signal.aborted) return
      const payload = callbackFor(event, {
        timestampSec: Math.floor(wallClock.now() / 1000),
        nonce: String(randomInt(nonceRandom, 100_000, 999_999_999)),
      })
      if (payload === undefined) return
      const [omit, drop, dup, delay, delayAmount, dupDelay] = [
        random(),
        random(),
        random(),
        random(),
        random(),
        random(),
      ]
      const d = create(app, payload, event.at)
      if (omitted(event, omit)) return settle(d, 'omitted')
      if (drop < chaos.dropFraction) return settle(d, 'lost')
      if (delay < chaos.delayFraction) d.delayedMs = Math.round(delayAmount * chaos.delayMaxMs)
      scheduleAttempt(d, d.delayedMs)
      if (dup < chaos.duplicateFraction) {
        const copy = create(app, payload, event.at, d.id)
        copy.delayedMs = Math.round(dupDelay * chaos.delayMaxMs)
        scheduleAttempt(copy, copy.delayedMs)
      }
    },
    deliveries: (filter = {}) =>
      all.filter(
        (d) =>
          (filter.appId === undefined || d.appId === filter.appId) &&
          (filter.event === undefined || d.event === filter.event) &&
          (filter.status === undefined || d.status === filter.status),
      ),
    subscribe(listener) {
      listeners.add(listener)
      return () => listeners.delete(listener)
    },
    waitForSettled(match) {
      const found = all.find((d) => d.status !== 'pending' && match(d))
      if (found) return Promise.resolve(found)
      return new Promise((resolve) => {
        const off = this.subscribe((n) => {
          if (n.type === 'settled' && match(n.delivery)) {
            off()
            resolve(n.delivery)
          }
        })
      })
    },
    idle() {
      const done = (): boolean => inFlight === 0 && all.every((d) => d.status !== 'pending')
      if (done()) return Promise.resolve()
      return new Promise((resolve) => {
        const off = this.subscribe(() => {
          if (done()) {
            off()
            resolve()
          }
        })
      })
    },
    async close() {
      closing.abort(new Error('callback sender closed'))
      for (const t of timers.values()) clock.clearTimer(t)
      timers.clear()
      listeners.clear()
      await ownAgent?.close()
    },
  }
}
