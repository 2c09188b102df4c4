import type { Timers } from '@mixguard/time'
import { type Dispatcher, request } from 'undici'

/** ZEGO's answers are a few hundred bytes; anything this large is not ZEGO talking. */
const MAX_BODY_BYTES = 1024 * 1024

export interface HttpAnswer {
  status: number
  headers: Record<string, string | string[] | undefined>
  text: string
}

/** What became of one HTTP exchange. Only `answer` means a complete response was read. */
export type TransportResult =
  | { kind: 'answer'; answer: HttpAnswer }
  | { kind: 'network'; cause: unknown }
  | { kind: 'timeout'; cause: unknown }
  | { kind: 'aborted'; cause: unknown }
  | { kind: 'too_large'; status: number }

export interface HttpExchange {
  url: URL
  method: 'GET' | 'POST'
  headers: Record<string, string>
  body: string | undefined
  dispatcher: Dispatcher | undefined
  /** Deadline for the whole exchange: connect, headers and body. */
  timeoutMs: number
  timers: Timers
  signal: AbortSignal | undefined
}

// undici's own timeouts end up as our timeout, whichever fires first.
const undiciTimeoutCodes = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
])

/** Sends one request and reads the whole answer. Never throws: every failure is a `TransportResult`. */
export async function exchange(x: HttpExchange): Promise<TransportResult> {
  if (x.signal?.aborted) return { kind: 'aborted', cause: x.signal.reason }
  const controller = new AbortController()
  let timedOut = false
  const timer = x.timers.setTimeout(() => {
    timedOut = true
    controller.abort(new Error(`no complete answer within ${x.timeoutMs} ms`))
  }, x.timeoutMs)
  const onAbort = (): void => controller.abort(x.signal?.reason)
  x.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const response = await request(x.url, {
      method: x.method,
      headers: x.headers,
      body: x.body,
      signal: controller.signal,
      ...(x.dispatcher === undefined ? {} : { dispatcher: x.dispatcher }),
    })
    const chunks: Buffer[] = []
    let size = 0
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length
      if (size > MAX_BODY_BYTES) {
        response.body.destroy()
        return { kind: 'too_large', status: response.statusCode }
      }
      chunks.push(chunk as Buffer)
    }
    return {
      kind: 'answer',
      answer: {
        status: response.statusCode,
        headers: response.headers,
        text: Buffer.concat(chunks).toString('utf8'),
      },
    }
  } catch (cause) {
    if (timedOut || undiciTimeoutCodes.has(errorCode(cause))) return { kind: 'timeout', cause }
    if (x.signal?.aborted) return { kind: 'aborted', cause }
    return { kind: 'network', cause }
  } finally {
    x.timers.clearTimeout(timer)
    x.signal?.removeEventListener('abort', onAbort)
  }
}

function errorCode(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string') {
    return error.code
  }
  return ''
}
