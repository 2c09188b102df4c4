import { z } from 'zod'
import { assertNever } from './assert-never.ts'
import {
  appIdField,
  decimalIdField,
  flagField,
  idField,
  integerField,
  optionalIntegerField,
  readAppId,
  readText,
  show,
  textField,
  textListField,
} from './fields.ts'
import { describeIssues } from './issues.ts'
import { decodeBody, decodeField, isRecord } from './url-decoding.ts'

/**
 * Raw ZEGO server callbacks (docs/zego.md §7.4–7.8), as schemas over an already-parsed body.
 * Keys keep ZEGO's snake_case names; values are normalised (ids to strings, counters and times to
 * numbers, `recreate` to a boolean, URL lists to arrays, '' to null where a value is optional).
 * Unknown fields are kept: ZEGO adds fields over time.
 */
const auth = {
  appid: appIdField(),
  // Checked by the signature verifier before this parse; optional here so a parse never depends on them.
  timestamp: optionalIntegerField(),
  nonce: textField(),
  signature: textField(),
}

/** What both stream callbacks open with: the signature fields, the room and the publisher. */
const publisherFields = {
  ...auth,
  room_id: idField(),
  room_session_id: decimalIdField(),
  user_id: idField(),
  user_name: textField(),
  channel_id: textField(),
}

/** Which stream, in both stream callbacks. */
const streamIdFields = {
  stream_id: idField(),
  stream_sid: idField(),
  stream_alias: textField(),
  stream_seq: optionalIntegerField(),
}

export const StreamCreateCallbackSchema = z.looseObject({
  event: z.literal('stream_create'),
  ...publisherFields,
  ...streamIdFields,
  create_time: optionalIntegerField(),
  create_time_ms: optionalIntegerField(),
  recreate: flagField(),
  title: textField(),
  stream_attr: textField(),
  extra_info: textField(),
  publish_id: textField(),
  publish_name: textField(),
  rtmp_url: textListField(),
  hls_url: textListField(),
  hdl_url: textListField(),
  pic_url: textListField(),
})

export const StreamCloseCallbackSchema = z.looseObject({
  event: z.literal('stream_close'),
  ...publisherFields,
  type: integerField(),
  ...streamIdFields,
  third_define_data: textField(),
  create_time_ms: optionalIntegerField(),
  destroy_timemillis: optionalIntegerField(),
})

// mix_start's example also carries singular rtmp_url/hls_url/hdl_url that the field table does not
// list; they are left undeclared (kept as they come) so an unexpected shape there cannot reject a start.
const mixFields = {
  ...auth,
  seq: optionalIntegerField(),
  task_id: idField(),
  channel_id: textField(),
  publish_id: textField(),
  mix_url: textField(),
  mix_stream_alias: textField(),
}

export const MixStartCallbackSchema = z.looseObject({
  event: z.literal('mix_start'),
  ...mixFields,
  stream_alias: textField(),
  rtmp_urls: textListField(),
  hls_urls: textListField(),
  hdl_urls: textListField(),
})

export const MixStopCallbackSchema = z.looseObject({ event: z.literal('mix_stop'), ...mixFields })

export const RoomCloseCallbackSchema = z.looseObject({
  event: z.literal('room_close'),
  ...auth,
  room_id: idField(),
  room_session_id: decimalIdField(),
  close_reason: integerField(),
  room_close_time: optionalIntegerField(),
})

export const CALLBACK_SCHEMAS = {
  stream_create: StreamCreateCallbackSchema,
  stream_close: StreamCloseCallbackSchema,
  mix_start: MixStartCallbackSchema,
  mix_stop: MixStopCallbackSchema,
  room_close: RoomCloseCallbackSchema,
} as const

export type CallbackEvent = keyof typeof CALLBACK_SCHEMAS
export const CALLBACK_EVENTS = Object.keys(CALLBACK_SCHEMAS) as CallbackEvent[]
export type CallbackPayload<E extends CallbackEvent> = z.output<(typeof CALLBACK_SCHEMAS)[E]>

/** A parsed callback: its normalised payload, and the body exactly as it came in (`raw`). */
export type ZegoCallback = {
  [E in CallbackEvent]: {
    event: E
    appId: number
    payload: CallbackPayload<E>
    raw: Record<string, unknown>
  }
}[CallbackEvent]

export type CallbackParseResult =
  | { ok: true; callback: ZegoCallback }
  | { ok: false; kind: 'unknown_event' | 'malformed'; reason: string }

export function isCallbackEvent(event: string): event is CallbackEvent {
  return Object.hasOwn(CALLBACK_SCHEMAS, event)
}

/**
 * Validates and normalises a callback body (a JSON object or a form record). Never throws.
 * An `event` outside the five is `unknown_event`, so an authentic but new callback can be kept aside
 * rather than rejected as garbage.
 */
export function parseCallback(body: unknown): CallbackParseResult {
  if (!isRecord(body)) return malformed(`callback body must be an object, got ${show(body)}`)
  const raw = { ...body }
  const input = decodeBody(body)
  const event = input.event
  if (event === undefined) return malformed('callback: missing field event')
  if (typeof event !== 'string')
    return malformed(`callback: field event must be a string, got ${show(event)}`)
  if (!isCallbackEvent(event)) {
    return { ok: false, kind: 'unknown_event', reason: `unknown callback event ${JSON.stringify(event)}` }
  }
  switch (event) {
    case 'stream_create':
      return finish(event, StreamCreateCallbackSchema, withLegacyNames(input), raw)
    case 'stream_close':
      return finish(event, StreamCloseCallbackSchema, withLegacyNames(input), raw)
    case 'mix_start':
      return finish(event, MixStartCallbackSchema, input, raw)
    case 'mix_stop':
      return finish(event, MixStopCallbackSchema, input, raw)
    case 'room_close':
      return finish(event, RoomCloseCallbackSchema, input, raw)
    default:
      return assertNever(event)
  }
}

function finish<E extends CallbackEvent, S extends z.ZodType<{ appid: number }>>(
  event: E,
  schema: S,
  input: Record<string, unknown>,
  raw: Record<string, unknown>,
):
  | { ok: true; callback: { event: E; appId: number; payload: z.output<S>; raw: Record<string, unknown> } }
  | {
      ok: false
      kind: 'malformed'
      reason: string
    } {
  const result = schema.safeParse(input)
  if (!result.success) return malformed(`${event}: ${describeIssues(result.error.issues)}`)
  return { ok: true, callback: { event, appId: result.data.appid, payload: result.data, raw } }
}

/**
 * ZEGO documents channel_id, stream_alias and publish_id as the same values under older names.
 * `input` is this parse's own decoded copy, so it is filled in place (a body whose "__proto__" key
 * gave the copy another prototype is copied once more, to a plain object, as it always was).
 */
function withLegacyNames(input: Record<string, unknown>): Record<string, unknown> {
  const out = Object.getPrototypeOf(input) === Object.prototype ? input : { ...input }
  for (const [name, legacy] of [
    ['room_id', 'channel_id'],
    ['stream_id', 'stream_alias'],
    ['user_id', 'publish_id'],
  ] as const) {
    if ((out[name] === undefined || out[name] === '') && out[legacy] !== undefined) out[name] = out[legacy]
  }
  return out
}

function malformed(reason: string): { ok: false; kind: 'malformed'; reason: string } {
  return { ok: false, kind: 'malformed', reason }
}

export type CallbackAuthFields = {
  appId: number | null
  /** Decimal text as sent (room_close sends a number; it is written in decimal, as the signature needs). */
  timestamp: string | null
  nonce: string | null
  signature: string | null
}

/**
 * The fields needed to verify a callback's signature, read before the full parse (a forged body
 * should not get a detailed schema reason). Same decoding as `parseCallback`; a field is null when
 * absent or not a single string/number.
 */
export function callbackAuthFields(body: unknown): CallbackAuthFields {
  if (!isRecord(body)) return { appId: null, timestamp: null, nonce: null, signature: null }
  // Only these four fields are decoded: the rest of the body is decoded once, by parseCallback.
  return {
    appId: readAppId(decodeField(body, 'appid', 'appid[]')),
    timestamp: readText(decodeField(body, 'timestamp', 'timestamp[]')),
    nonce: readText(decodeField(body, 'nonce', 'nonce[]')),
    signature: readText(decodeField(body, 'signature', 'signature[]')),
  }
}
