import { randomInt } from 'node:crypto'
import { decodeEvent, parseCallback, toEvent } from '@mixguard/contracts'
import { callbackSignature } from '@mixguard/zego-api'
import { Agent, request } from 'undici'
import type { SecretBook } from './secret-book.ts'
import type { DrillApp } from './stack.ts'

/** Signed ZEGO callbacks made by hand (for shapes the simulator never sends), and a timed sender. */

// Unique across runs and processes: a random stem, then a counter.
const nonceStem = randomInt(1_000_000, 9_999_999)
let nonces = 0

export interface CallbackFields {
  streamId: string
  roomId?: string
  timestampSec?: number
  nonce?: string
  /** Extra or overriding fields (an `extra_info` padding, a wrong type, a deep value). */
  extra?: Record<string, unknown>
}

/** A stream_create callback, signed with the app's callback secret (the signature is noted in the book). */
export function streamCreate(app: DrillApp, book: SecretBook, f: CallbackFields): Record<string, unknown> {
  const timestamp = String(f.timestampSec ?? Math.floor(Date.now() / 1000))
  nonces += 1
  const nonce = f.nonce ?? `${nonceStem}${nonces}`
  const signature = callbackSignature(app.callbackSecret, timestamp, nonce)
  book.signature(signature)
  const now = Date.now()
  const roomId = f.roomId ?? `room-${f.streamId}`
  return {
    event: 'stream_create',
    appid: String(app.appId),
    timestamp,
    nonce,
    signature,
    room_id: roomId,
    room_session_id: '1',
    user_id: `u-${f.streamId}`,
    user_name: 'drill',
    channel_id: roomId,
    stream_id: f.streamId,
    stream_sid: `sid-${f.streamId}`,
    title: '',
    stream_alias: f.streamId,
    stream_attr: '{"cid":0}',
    stream_seq: '1',
    create_time: String(Math.floor(now / 1000)),
    create_time_ms: String(now),
    extra_info: '',
    recreate: '0',
    publish_id: `u-${f.streamId}`,
    publish_name: 'drill',
    ...f.extra,
  }
}

/** The event id ingest gives a callback (what the reconciler deduplicates on). */
export function eventIdOf(payload: Record<string, unknown>): string {
  const parsed = parseCallback(payload)
  if (!parsed.ok) throw new Error(parsed.reason)
  return toEvent(parsed.callback, { receivedAt: 0 }).id
}

/** The event id of a record on the events topic (undefined for anything else). */
export function eventIdOnTopic(value: Buffer): string | undefined {
  const decoded = decodeEvent(value)
  return decoded.ok ? decoded.event.id : undefined
}

export interface Sent {
  /** HTTP status, or 0 when no answer came within the timeout (a hang) or the connection failed. */
  status: number
  ms: number
  error?: string
}

export interface Sender {
  post(path: string, body: string | Buffer, headers?: Record<string, string>): Promise<Sent>
  close(): Promise<void>
}

/** POSTs to ingest with a bounded pool and a timeout per request; never throws. */
export function createSender(baseUrl: string, { connections = 32, timeoutMs = 5_000 } = {}): Sender {
  const agent = new Agent({ connections, keepAliveTimeout: 2_000 })
  return {
    async post(path, body, headers = { 'content-type': 'application/json' }) {
      const began = performance.now()
      try {
        const res = await request(`${baseUrl}${path}`, {
          method: 'POST',
          body,
          headers,
          dispatcher: agent,
          signal: AbortSignal.timeout(timeoutMs),
        })
        await res.body.dump()
        return { status: res.statusCode, ms: performance.now() - began }
      } catch (error) {
        return { status: 0, ms: performance.now() - began, error: (error as Error).name }
      }
    },
    close: () => agent.close(),
  }
}

/** Runs `task(i)` for i < count with at most `concurrency` at once. */
export async function pool(
  count: number,
  concurrency: number,
  task: (i: number) => Promise<void>,
): Promise<void> {
  let next = 0
  const worker = async () => {
    while (next < count) {
      const i = next
      next += 1
      await task(i)
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

/**
 * Calls `tick(n)` `perSecond` times a second until `stop()` says so or `maxSeconds` pass: the load of
 * an experiment, paced on the clock. Resolves with the number of ticks.
 */
export async function paced(
  perSecond: number,
  maxSeconds: number,
  tick: (n: number) => void,
  stop: () => boolean = () => false,
): Promise<number> {
  const total = Math.round(perSecond * maxSeconds)
  const began = Date.now()
  let n = 0
  while (n < total && !stop()) {
    const due = Math.min(total, Math.floor(((Date.now() - began) / 1000) * perSecond) + 1)
    for (; n < due; n += 1) tick(n)
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  return n
}
