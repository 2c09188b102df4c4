import { type Clock, systemClock, systemTimers, type Timers } from '@mixguard/time'
import type { Dispatcher } from 'undici'
import type { z } from 'zod'
import { type CallBudget, createCallBudget, type Lane, type Release } from './budget.ts'
import { ZegoError } from './errors.ts'
import {
  type DescribeSimpleStreamListData,
  type DescribeSimpleStreamListRequest,
  type GetMixTaskInfoData,
  type GetMixTaskInfoRequest,
  type Operation,
  operations,
  type StartAutoMixData,
  type StartAutoMixRequest,
  type StartMixData,
  type StartMixRequest,
  type StopAutoMixRequest,
  type StopMixRequest,
} from './operations.ts'
import { aborted, toOutcome, type ZegoOutcome } from './outcome.ts'
import { newSignatureNonce, signQuery } from './sign.ts'
import { exchange } from './transport.ts'

export const DEFAULT_BASE_URL = 'https://rtc-api.zego.im/'
/**
 * Per attempt, for the whole exchange. Generous: a false timeout on a call that went through costs more
 * (a StartMix the caller retries while its task already runs) than waiting out a slow answer.
 */
export const DEFAULT_TIMEOUT_MS = 10_000

export interface ZegoClientOptions {
  appId: number
  serverSecret: string
  /** Default `https://rtc-api.zego.im/`; ZEGO suggests the regional host nearest your servers. */
  baseUrl?: string
  dispatcher?: Dispatcher
  /** Wall clock for signature timestamps (ZEGO allows 10 minutes of skew). */
  clock?: Clock
  /** Timers for the per-call timeout. */
  timers?: Timers
  /** Shared by everything in the process that calls ZEGO for the same AppIds. Default: a private budget at 80/s. */
  budget?: CallBudget
  /**
   * DescribeSimpleStreamList has its own ZEGO limit (50/s per AppId), so it also takes a slot here.
   * Default: a private budget at 40/s. The per-room limit (1 per 10 s) is the caller's to respect.
   */
  streamListBudget?: CallBudget
  /** For the whole exchange. Default DEFAULT_TIMEOUT_MS (10 s). */
  timeoutMs?: number
  /** Randomness for the signature nonce (16 hex characters). */
  nonce?: () => string
  /** ZEGO's `IsTest` parameter, needed only by projects created on or before 2021-11-16. */
  isTest?: boolean
}

export interface CallOptions {
  /** Budget lane. Default 'normal'. */
  lane?: Lane
  /** Aborts a wait for the budget or the exchange; the outcome is then `ZEGO_ABORTED`. */
  signal?: AbortSignal
}

export interface ZegoClient {
  readonly appId: number
  startMix(request: StartMixRequest, options?: CallOptions): Promise<ZegoOutcome<StartMixData>>
  stopMix(request: StopMixRequest, options?: CallOptions): Promise<ZegoOutcome<void>>
  getMixTaskInfo(
    request: GetMixTaskInfoRequest,
    options?: CallOptions,
  ): Promise<ZegoOutcome<GetMixTaskInfoData>>
  startAutoMix(request: StartAutoMixRequest, options?: CallOptions): Promise<ZegoOutcome<StartAutoMixData>>
  stopAutoMix(request: StopAutoMixRequest, options?: CallOptions): Promise<ZegoOutcome<void>>
  describeSimpleStreamList(
    request: DescribeSimpleStreamListRequest,
    options?: CallOptions,
  ): Promise<ZegoOutcome<DescribeSimpleStreamListData>>
}

/** Names the signature owns in the query; a GET business parameter may not replace them. */
const reservedQueryNames = new Set([
  'Action',
  'AppId',
  'SignatureNonce',
  'Timestamp',
  'Signature',
  'SignatureVersion',
])

export function createZegoClient(options: ZegoClientOptions): ZegoClient {
  const { appId, serverSecret } = options
  if (!Number.isInteger(appId) || appId < 1 || appId > 0xffffffff) {
    throw new RangeError(`appId must be a uint32 above 0, got ${appId}`)
  }
  if (typeof serverSecret !== 'string' || serverSecret === '') throw new TypeError('serverSecret is required')
  const baseUrl = new URL(options.baseUrl ?? DEFAULT_BASE_URL)
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS
  if (!(timeoutMs > 0)) throw new RangeError(`timeoutMs must be > 0, got ${timeoutMs}`)
  const clock = options.clock ?? systemClock
  const timers = options.timers ?? systemTimers
  const budget = options.budget ?? createCallBudget()
  const streamListBudget = options.streamListBudget ?? createCallBudget({ ratePerSecond: 40 })
  const nonce = options.nonce ?? newSignatureNonce

  const urlFor = (op: Operation<z.ZodType, z.ZodType>, request: Record<string, unknown>): URL => {
    const url = new URL(baseUrl)
    url.searchParams.set('Action', op.action)
    for (const [name, value] of Object.entries(signQuery(appId, serverSecret, clock.now(), nonce()))) {
      url.searchParams.set(name, value)
    }
    if (options.isTest !== undefined) url.searchParams.set('IsTest', String(options.isTest))
    if (op.method === 'GET') {
      for (const [name, value] of Object.entries(request)) {
        if (value !== undefined && !reservedQueryNames.has(name)) url.searchParams.set(name, String(value))
      }
    }
    return url
  }

  const attemptOnce = async <D extends z.ZodType>(
    op: Operation<z.ZodType, D>,
    request: Record<string, unknown>,
    lane: Lane,
    signal: AbortSignal | undefined,
  ): Promise<ZegoOutcome<z.output<D>>> => {
    const releases: Release[] = []
    try {
      if (op.action === operations.DescribeSimpleStreamList.action)
        releases.push(await streamListBudget.acquire(appId, lane, signal))
      releases.push(await budget.acquire(appId, lane, signal))
    } catch (reason) {
      for (const release of releases) release()
      return aborted(op.action, reason)
    }
    // Signed only now: a call may wait in the budget, and every attempt needs a fresh signature.
    const url = urlFor(op, request)
    const result = await exchange({
      url,
      method: op.method,
      headers: op.method === 'POST' ? { 'content-type': 'application/json' } : {},
      body: op.method === 'POST' ? JSON.stringify(request) : undefined,
      dispatcher: options.dispatcher,
      timeoutMs,
      timers,
      signal,
    }).finally(() => {
      for (const release of releases) release()
    })
    return toOutcome(op, result, clock.now())
  }

  const call = async <D extends z.ZodType>(
    op: Operation<z.ZodType, D>,
    request: unknown,
    callOptions: CallOptions = {},
  ): Promise<ZegoOutcome<z.output<D>>> => {
    const { lane = 'normal', signal } = callOptions
    const parsed = op.request.safeParse(request)
    if (!parsed.success) {
      const issues = parsed.error.issues.map(
        (issue) => `${issue.path.join('.') || '(root)'} ${issue.message}`,
      )
      return {
        ok: false,
        error: new ZegoError({
          code: 'ZEGO_INVALID_REQUEST',
          message: `${op.action}: invalid request: ${issues.join('; ')}`,
          errorClass: 'permanent',
          retryable: false,
          action: op.action,
          cause: parsed.error,
        }),
      }
    }
    return attemptOnce(op, parsed.data as Record<string, unknown>, lane, signal)
  }

  return {
    appId,
    startMix: (request, callOptions) => call(operations.StartMix, request, callOptions),
    stopMix: (request, callOptions) => call(operations.StopMix, request, callOptions),
    getMixTaskInfo: (request, callOptions) => call(operations.GetMixTaskInfo, request, callOptions),
    startAutoMix: (request, callOptions) => call(operations.StartAutoMix, request, callOptions),
    stopAutoMix: (request, callOptions) => call(operations.StopAutoMix, request, callOptions),
    describeSimpleStreamList: (request, callOptions) =>
      call(operations.DescribeSimpleStreamList, request, callOptions),
  }
}
