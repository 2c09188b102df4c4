import { z } from 'zod'
import { type Decoded, decodeWith, encodeJson } from './codec.ts'
import { MixApiCallBodySchema, restoredMixApiCall, storedMixApiCall } from './mix-api.ts'

/**
 * The envelope every ZEGO fact travels in on the events topic (key = AppID). Version 1; a change
 * that is not purely additive needs `v: 2` and a reader that accepts both.
 */
export const EVENT_TYPES = [
  'stream_created',
  'stream_closed',
  'mix_started',
  'mix_stopped',
  'room_closed',
  'mix_api_call',
] as const
export type EventType = (typeof EVENT_TYPES)[number]

const count = z.number().int().nullable()
const epochMs = z.number().int().nullable()

/** What a stream's created and closed events share (in this order on the wire and in the schemas). */
const streamBody = {
  roomId: z.string(),
  roomSessionId: z.string(),
  streamId: z.string(),
  streamSid: z.string(),
  userId: z.string(),
  streamSeq: count,
  createTimeMs: epochMs,
}

export const StreamCreatedBodySchema = z.object({
  ...streamBody,
  recreate: z.boolean(),
})

export const StreamClosedBodySchema = z.object({
  ...streamBody,
  destroyTimeMs: epochMs,
  closeReason: z.number().int().describe('stream_close.type: 0 normal, 1 heartbeat timeout, 4 TCP loss, …'),
})

/** null means ZEGO sent nothing (or an empty string) for the field. */
export const MixCallbackBodySchema = z.object({
  taskId: z.string().describe('TaskId with the "<appId>:" prefix removed'),
  rawTaskId: z.string(),
  roomId: z.string().nullable(),
  initiatorUserId: z.string().nullable().describe('publish_id'),
  outputStreamId: z.string().nullable().describe('mix_stream_alias'),
  outputUrl: z.string().nullable().describe('mix_url'),
  seq: count,
})

export const RoomClosedBodySchema = z.object({
  roomId: z.string(),
  roomSessionId: z.string(),
  closeReason: z.number().int(),
  closeTimeMs: epochMs,
})

// `satisfies` makes a type added to EVENT_TYPES without a body schema a compile error.
export const EVENT_BODY_SCHEMAS = {
  stream_created: StreamCreatedBodySchema,
  stream_closed: StreamClosedBodySchema,
  mix_started: MixCallbackBodySchema,
  mix_stopped: MixCallbackBodySchema,
  room_closed: RoomClosedBodySchema,
  mix_api_call: MixApiCallBodySchema,
} as const satisfies { [T in EventType]: z.ZodType }

function envelope<T extends EventType>(type: T) {
  return z.object({
    v: z.literal(1),
    id: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe('content-derived sha256: retries of one callback share it'),
    appId: z.number().int().min(1).max(0xffffffff),
    type: z.literal(type),
    occurredAt: epochMs.describe("ZEGO's time of the event, epoch ms"),
    receivedAt: z.number().int().describe("epoch ms, ingest's clock"),
    body: EVENT_BODY_SCHEMAS[type],
    raw: z
      .record(z.string(), z.unknown())
      .describe(
        'the payload as it came in, unknown fields included; a callback without signature, nonce and timestamp',
      ),
    signatureSha256: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .describe("sha256 of a callback's signature (the signature itself is never kept)"),
  })
}

export const ZegoEventSchema = z.discriminatedUnion('type', [
  envelope('stream_created'),
  envelope('stream_closed'),
  envelope('mix_started'),
  envelope('mix_stopped'),
  envelope('room_closed'),
  envelope('mix_api_call'),
])

export type ZegoEvent = z.output<typeof ZegoEventSchema>
export type EventOf<T extends EventType> = Extract<ZegoEvent, { type: T }>
export type EventBody<T extends EventType> = z.output<(typeof EVENT_BODY_SCHEMAS)[T]>

// A type in EVENT_TYPES but missing from the union above fails to compile here.
const everyTypeHasAnEnvelope: [EventType] extends [ZegoEvent['type']] ? true : never = true
void everyTypeHasAnEnvelope

export function encodeEvent(event: ZegoEvent): Buffer {
  return encodeJson(event.type === 'mix_api_call' ? storedMixApiCall(event) : event)
}

/** Never throws: bad bytes, a wrong shape or an unknown version give `{ ok: false, reason }`. */
export function decodeEvent(bytes: Uint8Array | string | null | undefined): Decoded<'event', ZegoEvent> {
  const decoded = decodeWith(ZegoEventSchema, 'event', bytes)
  if (decoded.ok && decoded.event.type === 'mix_api_call') {
    return { ok: true, event: restoredMixApiCall(decoded.event) }
  }
  return decoded
}
