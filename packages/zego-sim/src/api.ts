import { ZegoCode } from '@mixguard/zego-api'
import express, { type Request, type Response, type Router } from 'express'
import type { z } from 'zod'
import { type Action, checkCommonParams } from './api-auth.ts'
import {
  describeIssues,
  RoomIdQuery,
  StartAutoMixBody,
  StartMixBody,
  StopAutoMixBody,
  StopMixBody,
  TaskIdQuery,
  toStartAutoMix,
  toStartMix,
  toStopAutoMix,
  toStopMix,
} from './api-schemas.ts'
import type { SimClock, WallClock } from './clock.ts'
import type { Ledger } from './ledger.ts'
import { createSlidingWindowLimiter, type SlidingWindowLimiter } from './rate-limit.ts'
import type { Faults, Switches } from './switches.ts'
import type { World } from './world.ts'
import type { ZegoResult } from './world-types.ts'

/** ZEGO's server API on `/?Action=…`: always a JSON `{ Code, Message, RequestId, Data? }`. */

export const CALLER_HEADER = 'x-sim-caller'

/** The Code the ledger records for an injected HTTP failure: no ZEGO answer was given. */
export const HTTP_FAULT_CODE = -1

export interface ApiDeps {
  world: World
  ledger: Ledger
  clock: SimClock
  wallClock: WallClock
  switches: Switches
  faults: Faults
  limiter?: SlidingWindowLimiter
}

interface Answer {
  code: number
  message: string
  data?: unknown
}

const OVERLOAD_CODE: Record<Action, number> = {
  StartMix: ZegoCode.MixStartOverload,
  StopMix: ZegoCode.MixStopOverload,
  GetMixTaskInfo: ZegoCode.MixOverload,
  StartAutoMix: ZegoCode.MixOverload,
  StopAutoMix: ZegoCode.MixOverload,
  // Room-API family: "app QPS too high" (docs/zego.md §6.3).
  DescribeSimpleStreamList: ZegoCode.RoomAppQpsLimit,
}

const PARSE_CODE: Partial<Record<Action, number>> = {
  StartMix: ZegoCode.MixStartParse,
  StopMix: ZegoCode.MixStopParse,
}

const RATE_CODES: ReadonlySet<number> = new Set([...Object.values(OVERLOAD_CODE), ZegoCode.RoomQpsLimit])
const AUTH_CODES: ReadonlySet<number> = new Set([
  ZegoCode.SignatureExpired,
  ZegoCode.SignatureInvalid,
  ZegoCode.MixAuthFailed,
  ZegoCode.SecretNotFound,
])
const SERVER_CODES: ReadonlySet<number> = new Set([
  ZegoCode.GatewayInternal,
  ZegoCode.MixFailed,
  ZegoCode.MixTaskFailed,
  ZegoCode.MixDispatchFailed,
  ZegoCode.RoomStreamListFailed,
])

/** The `by-class` HTTP status switch: what a gateway that used status codes might answer. */
export function httpStatusFor(code: number): number {
  if (code === 0) return 200
  if (RATE_CODES.has(code)) return 429
  if (AUTH_CODES.has(code)) return 401
  if (code === ZegoCode.MixTaskNotFound) return 404
  if (SERVER_CODES.has(code)) return 503
  return 400
}

const fromResult = (r: ZegoResult<unknown>): Answer =>
  r.ok ? { code: 0, message: 'success', data: r.data } : { code: r.code, message: r.message }

type Parsed<T> = { ok: true; value: T } | { ok: false; answer: Answer }

function parseBody<S extends z.ZodType>(raw: unknown, schema: S, parseCode: number): Parsed<z.output<S>> {
  let json: unknown
  try {
    json = typeof raw === 'string' && raw.trim() !== '' ? JSON.parse(raw) : undefined
  } catch {
    json = undefined
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    return {
      ok: false,
      answer: { code: parseCode, message: 'could not parse the request body as a JSON object' },
    }
  const parsed = schema.safeParse(json)
  if (!parsed.success)
    return { ok: false, answer: { code: ZegoCode.MixBadParameter, message: describeIssues(parsed.error) } }
  return { ok: true, value: parsed.data }
}

function parseQuery<S extends z.ZodType>(query: Record<string, string>, schema: S): Parsed<z.output<S>> {
  const parsed = schema.safeParse(query)
  if (!parsed.success)
    return { ok: false, answer: { code: ZegoCode.MixBadParameter, message: describeIssues(parsed.error) } }
  return { ok: true, value: parsed.data }
}

export function createZegoApiRouter(deps: ApiDeps): Router {
  const { world, ledger, clock, wallClock, switches, faults } = deps
  const limiter = deps.limiter ?? createSlidingWindowLimiter()
  /** The simulated time of the last stream-list call of each room (`<appId>:<roomId>`), refused or not. */
  const roomListCalls = new Map<string, number>()
  let requestCounter = 0
  const router = express.Router()

  // Arrival is stamped before the body is read: the rate window should count when a call reached
  // "ZEGO", not when this process got round to parsing it (a burst of 80 queues up behind itself).
  const arrivals = new WeakMap<Request, number>()
  const stamp = (req: Request, _res: Response, next: () => void): void => {
    arrivals.set(req, wallClock.now())
    next()
  }

  router.all('/', stamp, express.text({ type: () => true, limit: '1mb' }), (req: Request, res: Response) => {
    const receivedAt = arrivals.get(req) ?? wallClock.now()
    // Refreshed when a delay fault holds the call: the work happens when the call is let through.
    let simNow = clock.now()
    // ZEGO's per-room list interval counts a call when it arrives, like the per-AppId rates: a call a
    // delay fault holds is carried out later but was counted on arrival.
    const arrivedAt = simNow
    requestCounter += 1
    const requestId = `sim-${Math.floor(receivedAt)}-${requestCounter}`
    const query: Record<string, string> = {}
    for (const [k, v] of new URL(req.originalUrl, 'http://sim').searchParams) if (!(k in query)) query[k] = v
    const caller = req.get(CALLER_HEADER)
    let taskId: string | undefined
    let userId: string | undefined

    const answer = (a: Answer, appId: number | undefined, action: string | undefined): void => {
      ledger.recordCall({
        action: action ?? '',
        appId,
        receivedAt,
        simAt: simNow,
        code: a.code,
        requestId,
        taskId,
        userId,
        caller,
      })
      const status = switches.api.httpStatus === 'always-200' ? 200 : httpStatusFor(a.code)
      const body: Record<string, unknown> = { Code: a.code, Message: a.message, RequestId: requestId }
      if (a.data !== undefined) body.Data = a.data
      res.status(status).json(body)
    }

    const common = checkCommonParams(
      query,
      (id) => world.app(id),
      receivedAt,
      switches.api.signatureMaxSkewSec,
    )
    if (!common.ok) return answer(common, common.appId, common.action)
    const { app, action } = common
    const appId = app.appId
    const note = (body: { TaskId?: string; UserId?: string | undefined }): void => {
      taskId = body.TaskId
      userId = body.UserId
    }

    const rateKey = `${appId}:${action}`
    const limit =
      action === 'DescribeSimpleStreamList'
        ? switches.api.streamListRatePerSecond
        : switches.api.ratePerSecond
    if (!limiter.tryAcquire(rateKey, limit, 1000, receivedAt))
      return answer(
        { code: OVERLOAD_CODE[action], message: 'request overload: too frequent, try later' },
        appId,
        action,
      )

    const fault = faults.take(appId, action)
    if (fault?.kind === 'code')
      return answer({ code: fault.code, message: 'injected failure' }, appId, action)
    if (fault?.kind === 'http') {
      ledger.recordCall({
        action,
        appId,
        receivedAt,
        simAt: simNow,
        code: HTTP_FAULT_CODE,
        requestId,
        taskId,
        userId,
        caller,
      })
      res.status(fault.httpStatus).type('text/html').send(`<html><body>${fault.httpStatus}</body></html>`)
      return
    }

    const run = (): Answer => {
      const parseCode = PARSE_CODE[action] ?? ZegoCode.MixParseFailed
      switch (action) {
        case 'StartMix': {
          const p = parseBody(req.body, StartMixBody, parseCode)
          if (!p.ok) return p.answer
          note(p.value)
          return fromResult(world.startMix(appId, toStartMix(p.value), simNow))
        }
        case 'StopMix':
        case 'StopAutoMix': {
          const p =
            action === 'StopMix'
              ? parseBody(req.body, StopMixBody, parseCode)
              : parseBody(req.body, StopAutoMixBody, parseCode)
          if (!p.ok) return p.answer
          note(p.value)
          const result =
            action === 'StopMix'
              ? world.stopMix(appId, toStopMix(p.value), simNow)
              : world.stopAutoMix(appId, toStopAutoMix(p.value as z.output<typeof StopAutoMixBody>), simNow)
          if (!result.ok && result.code === ZegoCode.MixTaskNotFound) return unknownTaskAnswer()
          return fromResult(result)
        }
        case 'StartAutoMix': {
          const p = parseBody(req.body, StartAutoMixBody, parseCode)
          if (!p.ok) return p.answer
          note(p.value)
          return fromResult(world.startAutoMix(appId, toStartAutoMix(p.value), simNow))
        }
        case 'GetMixTaskInfo': {
          const p = parseQuery(query, TaskIdQuery)
          if (!p.ok) return p.answer
          note(p.value)
          return fromResult(world.mixTaskInfo(appId, p.value.TaskId, simNow))
        }
        case 'DescribeSimpleStreamList': {
          const p = parseQuery(query, RoomIdQuery)
          if (!p.ok) return p.answer
          // ZEGO: "1 call per 10 s for a single room". Whether a refused call counts is not said, so
          // the strictest reading: every call restarts the room's interval, a refused one too. The
          // interval is ZEGO's time, the simulated clock (the clients' timers run on it too), not the
          // wall clock the per-AppId rates count on.
          const roomKey = `${appId}:${p.value.RoomId}`
          const lastCall = roomListCalls.get(roomKey)
          roomListCalls.set(roomKey, arrivedAt)
          if (lastCall !== undefined && arrivedAt - lastCall < switches.api.streamListRoomIntervalMs)
            return { code: ZegoCode.RoomQpsLimit, message: 'room QPS too high: 1 call per room per 10 s' }
          const StreamList = world.liveStreamsInRoom(appId, p.value.RoomId).map((s) => ({
            StreamId: s.streamId,
            UserId: s.userId,
            UserName: s.userName,
            CreateTime: s.createdAt,
            StreamNumberId: s.streamNumberId,
          }))
          return { code: 0, message: 'success', data: { StreamList } }
        }
      }
    }

    const unknownTaskAnswer = (): Answer => {
      switch (switches.api.stopUnknownTask) {
        case 'ok':
          return { code: 0, message: 'success' }
        case 'not-found':
          return { code: ZegoCode.MixTaskNotFound, message: 'mix task does not exist' }
        case 'failed':
          return { code: ZegoCode.MixFailed, message: 'failed' }
      }
    }

    if (fault?.kind === 'delay') {
      setTimeout(() => {
        simNow = clock.now()
        answer(run(), appId, action)
      }, fault.delayMs).unref()
      return
    }
    answer(run(), appId, action)
  })

  return router
}
