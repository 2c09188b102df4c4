import { describe, expect, it } from 'vitest'
import { decodeEvent, EVENT_TYPES, encodeEvent, type ZegoEvent } from './events.ts'
import { mixApiCallEvent, mixApiResponse } from './mix-api.ts'
import {
  callbackEvent,
  mixStartExample,
  mixStopExample,
  roomCloseExample,
  streamCloseExample,
  streamCreateExample,
} from './test-fixtures.ts'

const everyType: ZegoEvent[] = [
  callbackEvent(streamCreateExample),
  callbackEvent(streamCloseExample),
  callbackEvent(mixStartExample),
  callbackEvent(mixStopExample),
  callbackEvent(roomCloseExample),
  mixApiCallEvent({
    appId: 4001,
    action: 'StartMix',
    request: { TaskId: 't', UserId: 'u', MixInput: [{ StreamId: 's-1' }], MixOutput: [{ StreamId: 'o' }] },
    response: mixApiResponse(200, { Code: 0, Message: 'ok', RequestId: 'r' }),
    requestedAt: 1,
    receivedAt: 2,
  }),
]

describe('encodeEvent / decodeEvent', () => {
  it('the fixtures cover every event type', () => {
    expect(everyType.map((e) => e.type).sort()).toEqual([...EVENT_TYPES].sort())
  })

  for (const event of everyType) {
    it(`round-trips ${event.type}`, () => {
      expect(decodeEvent(encodeEvent(event))).toEqual({ ok: true, event })
    })
  }

  it('accepts a string value', () => {
    const [event] = everyType
    expect(decodeEvent(encodeEvent(event as ZegoEvent).toString('utf8')).ok).toBe(true)
  })

  const valid = JSON.parse(encodeEvent(callbackEvent(streamCloseExample)).toString('utf8'))
  const failures: [string, Uint8Array | string | null, string][] = [
    ['an empty (tombstone) value', null, 'event: empty value'],
    ['bytes that are not UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), 'event: value is not UTF-8'],
    ['a value that is not JSON', '{"v":1,', 'event: value is not JSON'],
    [
      'a newer version',
      JSON.stringify({ ...valid, v: 2 }),
      'event: unsupported version 2 (this reader knows v 1)',
    ],
    [
      'an unknown type',
      JSON.stringify({ ...valid, type: 'stream_moved' }),
      'event: field type is not one of',
    ],
    [
      'a body field of the wrong type',
      JSON.stringify({ ...valid, body: { ...valid.body, closeReason: '1' } }),
      'event: field body.closeReason: Invalid input: expected number, received string',
    ],
    [
      'a missing field',
      JSON.stringify({ ...valid, body: { ...valid.body, streamSid: undefined } }),
      'event: missing field body.streamSid',
    ],
    ['an id that is not a digest', JSON.stringify({ ...valid, id: 'abc' }), 'event: field id: '],
    ['a JSON array', '[]', 'event: Invalid input: expected object, received array'],
  ]
  for (const [name, bytes, reason] of failures) {
    it(`never throws on ${name}, and says why`, () => {
      const result = decodeEvent(bytes)
      expect(result.ok).toBe(false)
      expect(!result.ok && result.reason).toContain(reason)
    })
  }
})
