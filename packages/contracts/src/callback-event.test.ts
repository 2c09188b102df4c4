import { describe, expect, it } from 'vitest'
import { callbackEventId } from './callback-event.ts'
import { signatureSha256 } from './callback-secrets.ts'
import type { ZegoCallback } from './callbacks.ts'
import {
  asForm,
  callbackEvent,
  mixStartExample,
  mixStopExample,
  omit,
  parsedCallback,
  roomCloseExample,
  streamCloseExample,
  streamCreateExample,
  withNumbers,
} from './test-fixtures.ts'

describe('toEvent', () => {
  it('stream_create → stream_created', () => {
    expect(callbackEvent(streamCreateExample)).toMatchObject({
      v: 1,
      appId: 4001,
      type: 'stream_created',
      occurredAt: 1700000000123,
      receivedAt: 1_700_002_000_000,
      body: {
        roomId: 'r-7',
        roomSessionId: '99001',
        streamId: 's-1',
        streamSid: 's-1150a',
        userId: 'u-1',
        streamSeq: 12,
        createTimeMs: 1700000000123,
        recreate: false,
      },
      raw: omit(streamCreateExample, 'signature', 'nonce', 'timestamp'),
      signatureSha256: signatureSha256(streamCreateExample.signature),
    })
  })

  it('stream_create without create_time_ms falls back to create_time in ms', () => {
    expect(callbackEvent(omit(streamCreateExample, 'create_time_ms'))).toMatchObject({
      occurredAt: 1700000000000,
      body: { createTimeMs: null },
    })
  })

  it('stream_close → stream_closed', () => {
    expect(callbackEvent(streamCloseExample)).toMatchObject({
      type: 'stream_closed',
      occurredAt: 1700000500456,
      body: {
        roomId: 'r-7',
        roomSessionId: '99001',
        streamId: 's-1',
        streamSid: 's-1150a',
        userId: 'u-1',
        streamSeq: 13,
        createTimeMs: 1700000000123,
        destroyTimeMs: 1700000500456,
        closeReason: 1,
      },
    })
  })

  it('mix_start → mix_started, with the AppID prefix removed from the task id', () => {
    expect(callbackEvent(mixStartExample)).toMatchObject({
      type: 'mix_started',
      occurredAt: 1700000100000,
      body: {
        taskId: 'mix-r7',
        rawTaskId: '4001:mix-r7',
        roomId: 'r-7',
        initiatorUserId: 'svc-mixer',
        outputStreamId: 'mix-r7-out',
        outputUrl: 'rtmp://push.example/live/mix-r7-out',
        seq: 56,
      },
    })
  })

  it('mix_stop → mix_stopped; empty or absent values are null', () => {
    const rest = omit(mixStopExample, 'seq', 'timestamp')
    expect(callbackEvent({ ...rest, channel_id: '', mix_url: '' })).toMatchObject({
      type: 'mix_stopped',
      occurredAt: null,
      body: { taskId: 'mix-r7', roomId: null, outputUrl: null, outputStreamId: 'mix-r7-out', seq: null },
    })
  })

  it('room_close → room_closed', () => {
    expect(callbackEvent(roomCloseExample)).toMatchObject({
      type: 'room_closed',
      appId: 4001,
      occurredAt: 1700000999000,
      body: { roomId: 'r-7', roomSessionId: '99001', closeReason: 1, closeTimeMs: 1700000999000 },
      raw: omit(roomCloseExample, 'signature', 'nonce', 'timestamp'),
    })
  })
})

describe('the content-derived event id', () => {
  const examples = [
    streamCreateExample,
    streamCloseExample,
    mixStartExample,
    mixStopExample,
    roomCloseExample,
  ]

  it('is a sha256 hex digest', () => {
    expect(callbackEvent(mixStopExample).id).toMatch(/^[0-9a-f]{64}$/)
  })

  // Consumers drop duplicates by id across ingest versions: these must never change (a new id rule
  // needs a new version tag in the hash, 'zego-callback/v2').
  it('is stable across versions for the documented examples', () => {
    expect(examples.map((example) => callbackEvent(example).id)).toEqual([
      '9bf4f7462e64b156f85e55c8a9dafe1b04795dadea2cb8437b1474ac062b2063',
      '6d14bdb7eb25c8dea97542e66e107336170842bdf7dc06d89826540998acb9f1',
      '18e413f3f040494e01c53fb0959340cf13bb39bcc81de1298f0fee92dd73b86a',
      '504256ee55f2d938dd187b641e9c1ba8518326907e5300910da453987d8dcf0d',
      '768e4ada6bd121d645726e0b57506aed59b3c50b43d99ccbac21e587cfc49ec6',
    ])
    // Unknown nested fields: sorted at every depth, scalars as text, array-index keys first.
    const nested = { ...mixStartExample, extra: { z: 1, a: [true, 2, { '10': 'x', '9': null, b: 'y' }] } }
    expect(callbackEvent(nested).id).toBe('ec8664ae835e2f94434c07258e9d93f47f868a417a260a0176e94c4fc89d447f')
  })

  for (const example of examples) {
    it(`is the same for a re-signed retry of ${example.event}`, () => {
      const retry = { ...example, nonce: '99999', timestamp: '1700000532', signature: 'f'.repeat(40) }
      expect(callbackEvent(retry).id).toBe(callbackEvent(example).id)
    })

    it(`is the same for ${example.event} sent as JSON numbers or as a form`, () => {
      const id = callbackEvent(example).id
      expect(callbackEvent(withNumbers(example)).id).toBe(id)
      expect(callbackEvent(asForm(example)).id).toBe(id)
    })
  }

  it('differs for a different event of the same stream', () => {
    const again = { ...streamCreateExample, stream_seq: '14', create_time_ms: '1700000600000', recreate: '1' }
    expect(callbackEvent(again).id).not.toBe(callbackEvent(streamCreateExample).id)
  })

  it('differs between mix_start and mix_stop of one task', () => {
    expect(callbackEvent(mixStartExample).id).not.toBe(
      callbackEvent({ ...mixStartExample, event: 'mix_stop' }).id,
    )
  })

  it('differs between apps', () => {
    expect(callbackEvent({ ...mixStopExample, appid: '4002' }).id).not.toBe(callbackEvent(mixStopExample).id)
  })

  it('differs when only an unknown business field differs', () => {
    expect(callbackEvent({ ...mixStopExample, stop_reason: 'idle' }).id).not.toBe(
      callbackEvent(mixStopExample).id,
    )
  })

  it('leaves out a payload member named "__proto__", as it always has', () => {
    const callback = parsedCallback(streamCreateExample)
    const id = '9bf4f7462e64b156f85e55c8a9dafe1b04795dadea2cb8437b1474ac062b2063'
    expect(callbackEventId(callback, 'stream_created')).toBe(id)
    for (const value of ['x', { y: '1' }, null]) {
      const payload = { ...callback.payload, ['__proto__']: value }
      expect(Object.hasOwn(payload, '__proto__')).toBe(true)
      expect(callbackEventId({ ...callback, payload } as ZegoCallback, 'stream_created')).toBe(id)
    }
  })

  it('keeps its value for a field named like a member of Object.prototype', () => {
    const body = { ...streamCreateExample, constructor: 'c', toString: 't' }
    expect(callbackEvent(body).id).toBe('c93578effd75ffcd733500f463b4cd34fa4ec75b57efd9806d918ded67a7ef83')
  })

  it('gives each payload its own id when shapes with as many fields come in turn (ids as main made them)', () => {
    const foo = { ...streamCreateExample, foo: '1' }
    const bar = { ...streamCreateExample, bar: '1' }
    const ids = [foo, bar, foo, bar].map((b) => callbackEvent(b).id)
    const [a, b] = [
      '4047422a983f096cb29c6628c5a85cbef459044a7d2ca7774a13799efe69dad5',
      '2cf936f85b9d241126885bd101323aacfbd0f679ab51788dc491498a53aed161',
    ]
    expect(ids).toEqual([a, b, a, b])
  })

  it('does not depend on the order of fields', () => {
    const reversed = Object.fromEntries(Object.entries(streamCloseExample).reverse())
    expect(callbackEventId(parsedCallback(reversed), 'stream_closed')).toBe(
      callbackEvent(streamCloseExample).id,
    )
  })
})
