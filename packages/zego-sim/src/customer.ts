import { type CallBudget, createZegoClient, type ZegoClient, type ZegoOutcome } from '@mixguard/zego-api'
import { Agent, type Dispatcher } from 'undici'
import { CALLER_HEADER } from './api.ts'
import { SimError, SimErrorCode } from './errors.ts'
import type { World } from './world.ts'

/**
 * A customer backend: starts and stops mixes through zego-api with the app's ServerSecret, against a
 * configurable API base URL (the simulator itself by default; Mixguard's ingest passthrough later).
 * Every call carries `x-sim-caller` so the ledger can tell the customer's calls from Mixguard's.
 */
export interface CustomerOptions {
  world: World
  /** Where the customer's ZEGO calls go unless a call names another base URL. */
  apiBaseUrl: () => string
  callerLabel?: string
  /** Shared by every client the customer makes; default: zego-api's private 80/s budget per client. */
  budget?: CallBudget
  timeoutMs?: number
}

export interface Customer {
  client(appId: number, apiBaseUrl?: string): ZegoClient
  close(): Promise<void>
}

/** A compact, JSON-friendly view of an outcome (for the control surface and scenario results). */
export interface OutcomeSummary {
  ok: boolean
  /** ZEGO's Code: 0 on success; absent when no ZEGO answer came back (network, timeout…). */
  zegoCode: number | undefined
  /** zego-api's error code (`ZEGO_TASK_NOT_FOUND`, …) on failure. */
  error: string | undefined
  message: string | undefined
  requestId: string | undefined
  data: unknown
}

export function summarizeOutcome(outcome: ZegoOutcome<unknown>): OutcomeSummary {
  if (outcome.ok)
    return {
      ok: true,
      zegoCode: 0,
      error: undefined,
      message: undefined,
      requestId: outcome.requestId,
      data: outcome.data,
    }
  const e = outcome.error
  return {
    ok: false,
    zegoCode: e.zegoCode,
    error: e.code,
    message: e.message,
    requestId: e.requestId,
    data: undefined,
  }
}

function withHeader(headers: Dispatcher.DispatchOptions['headers'], name: string, value: string) {
  if (headers == null) return { [name]: value }
  if (Array.isArray(headers)) return [...headers, name, value]
  if (Symbol.iterator in headers) return [...(headers as Iterable<[string, string]>), [name, value]]
  return { ...headers, [name]: value }
}

export function createCustomer(options: CustomerOptions): Customer {
  const label = options.callerLabel ?? 'customer'
  const agent = new Agent({ keepAliveTimeout: 1_000 })
  const dispatcher = agent.compose(
    (dispatch) => (opts, handler) =>
      dispatch(
        { ...opts, headers: withHeader(opts.headers, CALLER_HEADER, label) } as Dispatcher.DispatchOptions,
        handler,
      ),
  )
  const clients = new Map<string, ZegoClient>()
  return {
    client(appId, apiBaseUrl) {
      const app = options.world.app(appId)
      if (app === undefined) throw new SimError(SimErrorCode.AppNotFound, `no app ${appId}`)
      const baseUrl = apiBaseUrl ?? options.apiBaseUrl()
      const k = `${appId}|${baseUrl}|${app.serverSecret}`
      let client = clients.get(k)
      if (client === undefined) {
        client = createZegoClient({
          appId,
          serverSecret: app.serverSecret,
          baseUrl,
          dispatcher,
          ...(options.budget ? { budget: options.budget } : {}),
          ...(options.timeoutMs ? { timeoutMs: options.timeoutMs } : {}),
        })
        clients.set(k, client)
      }
      return client
    },
    async close() {
      clients.clear()
      await agent.close()
    },
  }
}
