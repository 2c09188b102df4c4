import { z } from 'zod'
import { contentHash } from './canonical-hash.ts'
import type { EventOf } from './events.ts'
import { readInteger, readText } from './fields.ts'
import { isRecord } from './url-decoding.ts'

/**
 * Mix-API calls observed by ingest's passthrough (docs/zego.md §2, §3, §5). Neither the mix
 * callbacks nor GetMixTaskInfo say which streams a task mixes; only the StartMix request does, so the
 * request is recorded on the events topic beside the callbacks.
 */
export const MIX_API_ACTIONS = ['StartMix', 'StopMix', 'StartAutoMix', 'StopAutoMix'] as const
export type MixApiAction = (typeof MIX_API_ACTIONS)[number]

const StreamRefSchema = z.object({ streamId: z.string().nullable(), streamUrl: z.string().nullable() })
export type StreamRef = z.output<typeof StreamRefSchema>

export const MixApiResponseSchema = z.union([
  z.object({
    httpStatus: z.number().int(),
    code: z.number().int().nullable(),
    message: z.string().nullable(),
    requestId: z.string().nullable(),
  }),
  z.object({ error: z.string().describe('the call got no HTTP answer (network error, timeout)') }),
])
export type MixApiResponse = z.output<typeof MixApiResponseSchema>

export const MixApiCallBodySchema = z.object({
  action: z.enum(MIX_API_ACTIONS),
  taskId: z.string().describe("the request's TaskId; empty when the request had none"),
  userId: z.string().nullable(),
  roomId: z.string().nullable(),
  sequence: z.number().int().nullable(),
  inputs: z.array(StreamRefSchema).describe('MixInput of StartMix; [] for other actions'),
  outputs: z.array(StreamRefSchema).describe('MixOutput of StartMix/StartAutoMix; [] for stops'),
  maxIdleTimeSec: z.number().int().nullable(),
  request: z
    .unknown()
    .optional()
    .describe(
      'the JSON body as sent. On Kafka a JSON-object body is only in `raw` (it is stored once) and this field is left out; decodeEvent restores it',
    ),
  response: MixApiResponseSchema,
})
export type MixApiCallBody = z.output<typeof MixApiCallBodySchema>

/** ZEGO's common response fields (Code, Message, RequestId) from whatever body came back. */
export function mixApiResponse(httpStatus: number, body: unknown): MixApiResponse {
  const fields = isRecord(body) ? body : {}
  return {
    httpStatus,
    code: readInteger(fields.Code),
    message: typeof fields.Message === 'string' ? fields.Message : null,
    requestId: typeof fields.RequestId === 'string' ? fields.RequestId : null,
  }
}

export type MixApiCallInput = {
  appId: number
  action: MixApiAction
  /** The JSON body as sent to ZEGO (not validated: a bad request is recorded as it was). */
  request: unknown
  response: MixApiResponse
  /** When the request reached the passthrough (epoch ms): the event's occurredAt. */
  requestedAt: number
  /** When the event was made, after the response (epoch ms). */
  receivedAt: number
}

export function mixApiCallEvent(input: MixApiCallInput): EventOf<'mix_api_call'> {
  const request = isRecord(input.request) ? input.request : {}
  const body: MixApiCallBody = {
    action: input.action,
    taskId: readText(request.TaskId) ?? '',
    userId: nonEmpty(readText(request.UserId)),
    roomId: nonEmpty(readText(request.RoomId)),
    sequence: readInteger(request.Sequence),
    inputs: input.action === 'StartMix' ? streamRefs(request.MixInput) : [],
    outputs:
      input.action === 'StartMix' || input.action === 'StartAutoMix' ? streamRefs(request.MixOutput) : [],
    maxIdleTimeSec: input.action === 'StartMix' ? readInteger(request.MaxIdleTime) : null,
    request: input.request ?? null,
    response: input.response,
  }
  return {
    v: 1,
    // Unlike callbacks, two identical requests are two calls (start, stop, start again with the same
    // body): the request time is part of the id. A re-append of this same event keeps its id.
    id: contentHash([
      'mix-api-call/v1',
      input.appId,
      input.action,
      input.requestedAt,
      body.request,
      body.response,
    ]),
    appId: input.appId,
    type: 'mix_api_call',
    occurredAt: input.requestedAt,
    receivedAt: input.receivedAt,
    body,
    raw: { ...request },
  }
}

/**
 * The event as written to Kafka: a request that is a JSON object is already whole in `raw`, so
 * `body.request` is left out (a 240 KB StartMix would otherwise take 480 KB).
 */
export function storedMixApiCall(event: EventOf<'mix_api_call'>): unknown {
  if (!isRecord(event.body.request)) return event
  const { request: _inRaw, ...body } = event.body
  return { ...event, body }
}

/** The event as read from Kafka, with `body.request` back from `raw` where it was left out. */
export function restoredMixApiCall(event: EventOf<'mix_api_call'>): EventOf<'mix_api_call'> {
  if (event.body.request !== undefined) return event
  return { ...event, body: { ...event.body, request: event.raw } }
}

function streamRefs(list: unknown): StreamRef[] {
  if (!Array.isArray(list)) return []
  return list.map((item) => {
    const ref = isRecord(item) ? item : {}
    return { streamId: nonEmpty(readText(ref.StreamId)), streamUrl: nonEmpty(readText(ref.StreamUrl)) }
  })
}

function nonEmpty(value: string | null): string | null {
  return value === '' ? null : value
}
