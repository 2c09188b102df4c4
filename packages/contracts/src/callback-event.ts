import { assertNever } from './assert-never.ts'
import { signatureSha256, withoutCallbackSecrets } from './callback-secrets.ts'
import type { CallbackPayload, ZegoCallback } from './callbacks.ts'
import { sha256Hex, sortedCopy } from './canonical-hash.ts'
import type { EventBody, EventOf, ZegoEvent } from './events.ts'
import { sameKeyList } from './same-key-list.ts'
import { normalizeTaskId } from './task-id.ts'

/** The fields that change when ZEGO re-sends (and re-signs) one callback. */
const PER_ATTEMPT_FIELDS = new Set(['signature', 'nonce', 'timestamp'])

/**
 * The event id is derived from content, not drawn at random: ZEGO retries a callback up to five times
 * (and may re-sign each retry with a new nonce and timestamp), ingest may append the same callback
 * twice around a crash, and the spool may replay. Hashing the AppID, the type and every business
 * field, without signature/nonce/timestamp, gives all of those copies one id, so consumers can drop
 * duplicates by id. Scalars are hashed as text, so a JSON retry and a form retry of one callback agree.
 */
export function callbackEventId(callback: ZegoCallback, type: ZegoEvent['type']): string {
  // Keys in sorted order and scalars as text in one copy, so JSON.stringify of it is the canonical
  // JSON that contentHash would make (one copy instead of a text copy and then a sorted copy).
  // A spread copy of an object that has the keys in that order already, then its values set: an object
  // given two dozen keys one store at a time turns into a dictionary, which JSON.stringify walks far
  // more slowly, and building it from entries costs more than the rest of the copy.
  const payload: Record<string, unknown> = callback.payload
  const shape = businessShape(Object.keys(payload))
  const business: Record<string, unknown> = { ...shape.template }
  for (const key of shape.keys) business[key] = canonicalMember(payload[key])
  return sha256Hex(JSON.stringify(['zego-callback/v1', callback.appId, type, business]))
}

interface BusinessShape {
  /** The keys hashed, sorted. */
  keys: readonly string[]
  /** An object with those keys, in that order. */
  template: Record<string, null>
}

/**
 * The keys hashed: every key but the per-attempt fields and "__proto__" (assigned, it set the
 * prototype, so it never made it into the hashed text). Payloads of one shape come with their keys in
 * one order (the schema's, then the extra fields'), so the last shape is kept for the next payload.
 */
function businessShape(keys: string[]): BusinessShape {
  if (!sameKeyList(keys, lastKeys)) {
    const sorted = keys.filter((key) => !PER_ATTEMPT_FIELDS.has(key) && key !== '__proto__').sort()
    lastKeys = keys
    lastShape = { keys: sorted, template: Object.fromEntries(sorted.map((key) => [key, null])) }
  }
  return lastShape
}

let lastKeys: readonly string[] = []
let lastShape: BusinessShape = { keys: [], template: {} }

/**
 * `sortedCopy(value, asText)`, without the copy where it would change nothing: a string or null as
 * it is, and a list of strings (play URLs: every stream_create has some) as the same array.
 */
function canonicalMember(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return asText(value)
  if (Array.isArray(value) && value.every(isString)) return value
  return sortedCopy(value, asText)
}

const isString = (value: unknown): boolean => typeof value === 'string'

function asText(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint'
    ? String(value)
    : value
}

/** What a stream's created and closed events share, in their order. */
function streamFields(p: CallbackPayload<'stream_create'> | CallbackPayload<'stream_close'>) {
  return {
    roomId: p.room_id,
    roomSessionId: p.room_session_id,
    streamId: p.stream_id,
    streamSid: p.stream_sid,
    userId: p.user_id,
    streamSeq: p.stream_seq,
    createTimeMs: p.create_time_ms,
  }
}

/**
 * Turns a parsed callback into the envelope that goes on the events topic. Its `raw` is the body
 * without `signature`, `nonce` and `timestamp` (a credential for anyone who reads the topic); the
 * signature's sha256 stays as `signatureSha256`.
 */
export function toEvent(callback: ZegoCallback, options: { receivedAt: number }): ZegoEvent {
  switch (callback.event) {
    case 'stream_create': {
      const p = callback.payload
      const occurredAt = p.create_time_ms ?? (p.create_time === null ? null : p.create_time * 1000)
      return envelope(callback, 'stream_created', occurredAt, options.receivedAt, {
        ...streamFields(p),
        recreate: p.recreate,
      })
    }
    case 'stream_close': {
      const p = callback.payload
      return envelope(callback, 'stream_closed', p.destroy_timemillis, options.receivedAt, {
        ...streamFields(p),
        destroyTimeMs: p.destroy_timemillis,
        closeReason: p.type,
      })
    }
    case 'mix_start':
      return envelope(
        callback,
        'mix_started',
        mixTime(callback.payload),
        options.receivedAt,
        mixBody(callback),
      )
    case 'mix_stop':
      return envelope(
        callback,
        'mix_stopped',
        mixTime(callback.payload),
        options.receivedAt,
        mixBody(callback),
      )
    case 'room_close': {
      const p = callback.payload
      return envelope(callback, 'room_closed', p.room_close_time, options.receivedAt, {
        roomId: p.room_id,
        roomSessionId: p.room_session_id,
        closeReason: p.close_reason,
        closeTimeMs: p.room_close_time,
      })
    }
    default:
      return assertNever(callback)
  }
}

type MixCallback = Extract<ZegoCallback, { event: 'mix_start' | 'mix_stop' }>

/** Mix callbacks carry no event time of their own; the send time (seconds) is the closest there is. */
function mixTime(payload: CallbackPayload<'mix_start' | 'mix_stop'>): number | null {
  return payload.timestamp === null ? null : payload.timestamp * 1000
}

function mixBody(callback: MixCallback): EventBody<'mix_started'> {
  const p = callback.payload
  return {
    taskId: normalizeTaskId(p.task_id, callback.appId),
    rawTaskId: p.task_id,
    roomId: p.channel_id,
    initiatorUserId: p.publish_id,
    outputStreamId: p.mix_stream_alias,
    outputUrl: p.mix_url,
    seq: p.seq,
  }
}

function envelope<T extends Exclude<ZegoEvent['type'], 'mix_api_call'>>(
  callback: ZegoCallback,
  type: T,
  occurredAt: number | null,
  receivedAt: number,
  body: EventBody<T>,
): EventOf<T> {
  const signature = callback.payload.signature
  const event = {
    v: 1 as const,
    id: callbackEventId(callback, type),
    appId: callback.appId,
    type,
    occurredAt,
    receivedAt,
    body,
    raw: withoutCallbackSecrets(callback.raw),
    ...(signature === null ? {} : { signatureSha256: signatureSha256(signature) }),
  }
  // TypeScript cannot tie `type` and `body` together through a generic; both come from T.
  return event as unknown as EventOf<T>
}
