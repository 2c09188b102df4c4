import { parse } from 'node:querystring'
import { describe, expect, it } from 'vitest'
import {
  type CallbackParseResult,
  callbackAuthFields,
  parseCallback,
  type ZegoCallback,
} from './callbacks.ts'
import {
  asForm,
  mixStartExample,
  mixStopExample,
  omit,
  roomCloseExample,
  streamCloseExample,
  streamCreateExample,
  withNumbers,
  withStrings,
} from './test-fixtures.ts'

function ok(result: CallbackParseResult): ZegoCallback {
  if (!result.ok) throw new Error(`expected a parse, got ${result.kind}: ${result.reason}`)
  return result.callback
}

function failure(result: CallbackParseResult): { kind: string; reason: string } {
  if (result.ok) throw new Error('expected a failure')
  return { kind: result.kind, reason: result.reason }
}

const examples = {
  stream_create: streamCreateExample,
  stream_close: streamCloseExample,
  mix_start: mixStartExample,
  mix_stop: mixStopExample,
  room_close: roomCloseExample,
} as const

// Each documented example, in every encoding ZEGO has used: JSON strings, JSON numbers, form.
const encodings: [string, (body: Record<string, unknown>) => unknown][] = [
  ['JSON with string fields', withStrings],
  ['JSON with number fields', withNumbers],
  ['form, arrays as repeated keys', (b) => asForm(b)],
  ['form, arrays as key[]', (b) => asForm(b, true)],
]

describe('parseCallback: the five documented callbacks', () => {
  for (const [event, example] of Object.entries(examples)) {
    for (const [encoding, encode] of encodings) {
      it(`${event} as ${encoding} gives the same normalised payload`, () => {
        const callback = ok(parseCallback(encode(example)))
        const reference = ok(parseCallback(withStrings(example)))
        expect(callback.event).toBe(event)
        expect(callback.appId).toBe(4001)
        expect(callback.payload).toEqual(reference.payload)
      })
    }
  }

  it('stream_create normalises types', () => {
    const { payload } = ok(parseCallback(streamCreateExample)) as Extract<
      ZegoCallback,
      { event: 'stream_create' }
    >
    expect(payload).toMatchObject({
      appid: 4001,
      timestamp: 1700000000,
      room_session_id: '99001',
      stream_seq: 12,
      create_time_ms: 1700000000123,
      recreate: false,
      title: null,
      rtmp_url: ['rtmp://play.example/live/s-1'],
    })
  })

  it('stream_close reads the close reason from type', () => {
    const callback = ok(parseCallback(streamCloseExample))
    expect(callback.event === 'stream_close' && callback.payload.type).toBe(1)
  })

  it('room_close accepts its documented numbers and keeps room_session_id as text', () => {
    const callback = ok(parseCallback(roomCloseExample))
    if (callback.event !== 'room_close') throw new Error(callback.event)
    expect(callback.payload).toMatchObject({
      appid: 4001,
      timestamp: 1700001000,
      room_session_id: '99001',
      close_reason: 1,
      room_close_time: 1700000999000,
    })
  })

  it('a single value for a list field (one form value) becomes a one-element list', () => {
    const callback = ok(parseCallback({ ...streamCreateExample, rtmp_url: 'rtmp://one' }))
    expect(callback.event === 'stream_create' && callback.payload.rtmp_url).toEqual(['rtmp://one'])
  })

  it('recreate=1 is true', () => {
    const callback = ok(parseCallback({ ...streamCreateExample, recreate: '1' }))
    expect(callback.event === 'stream_create' && callback.payload.recreate).toBe(true)
  })

  it('fills room_id, stream_id and user_id from their documented legacy names', () => {
    const legacy = omit(streamCreateExample, 'room_id', 'stream_id', 'user_id')
    const callback = ok(parseCallback(legacy))
    expect(callback.event === 'stream_create' && callback.payload).toMatchObject({
      room_id: 'r-7',
      stream_id: 's-1',
      user_id: 'u-1',
    })
  })
})

describe('parseCallback: unknown fields and raw', () => {
  it('keeps unknown fields in the payload (decoded) and in raw (as sent)', () => {
    const body = { ...mixStopExample, reason_v2: 'idle%20timeout', shard: 7 }
    const callback = ok(parseCallback(body))
    expect(callback.payload).toMatchObject({ reason_v2: 'idle timeout', shard: 7 })
    expect(callback.raw).toEqual(body)
  })

  it('raw is a plain copy of a null-prototype form record', () => {
    const callback = ok(parseCallback(asForm(mixStopExample)))
    expect(Object.getPrototypeOf(callback.raw)).toBe(Object.prototype)
    expect(callback.raw.task_id).toBe('4001:mix-r7')
  })
})

describe('parseCallback: URL-encoded values', () => {
  it('decodes URL-encoded JSON string values once', () => {
    const body = {
      ...mixStopExample,
      mix_url: 'rtmp%3A%2F%2Fpush.example%2Flive%2Fout',
      task_id: '4001%3Amix-r7',
    }
    const callback = ok(parseCallback(body))
    expect(callback.payload).toMatchObject({
      mix_url: 'rtmp://push.example/live/out',
      task_id: '4001:mix-r7',
    })
  })

  it('decodes values inside lists', () => {
    const callback = ok(parseCallback({ ...streamCreateExample, hls_url: ['https%3A%2F%2Fh%2Fs.m3u8'] }))
    expect(callback.event === 'stream_create' && callback.payload.hls_url).toEqual(['https://h/s.m3u8'])
  })

  it('decodes a form value that was URL-encoded before being form-encoded (one layer each)', () => {
    const twice = encodeURIComponent(encodeURIComponent('rtmp://p/x y'))
    const form = parse(`event=mix_stop&appid=4001&task_id=4001%3Amix-r7&mix_url=${twice}`)
    expect(form.mix_url).toBe('rtmp%3A%2F%2Fp%2Fx%20y')
    const callback = ok(parseCallback(form))
    expect(callback.payload).toMatchObject({ mix_url: 'rtmp://p/x y', task_id: '4001:mix-r7' })
  })

  it('leaves + alone (ZEGO ids may contain it)', () => {
    const callback = ok(parseCallback({ ...mixStopExample, task_id: '4001:a+b', mix_stream_alias: 'x%2By' }))
    expect(callback.payload).toMatchObject({ task_id: '4001:a+b', mix_stream_alias: 'x+y' })
  })
})

describe('parseCallback: malformed input says what is wrong', () => {
  const cases: [string, unknown, string][] = [
    ['a non-object body', 'event=stream_close', 'callback body must be an object, got "event=stream_close"'],
    ['an array body', [streamCloseExample], 'callback body must be an object, got a list of 1'],
    ['no event', { appid: '4001' }, 'callback: missing field event'],
    ['a numeric event', { ...streamCloseExample, event: 5 }, 'callback: field event must be a string, got 5'],
    [
      'a missing stream_id',
      { ...streamCloseExample, stream_id: undefined, stream_alias: undefined },
      'stream_close: missing field stream_id',
    ],
    [
      'an empty stream_sid',
      { ...streamCloseExample, stream_sid: '' },
      'stream_close: field stream_sid is empty',
    ],
    [
      'a close type that is not a number',
      { ...streamCloseExample, type: 'heartbeat' },
      'stream_close: field type must be an integer, got "heartbeat"',
    ],
    ['a null task_id', { ...mixStartExample, task_id: null }, 'mix_start: field task_id is null'],
    [
      'a fractional seq',
      { ...mixStartExample, seq: 1.5 },
      'mix_start: field seq must be an integer, got 1.5',
    ],
    ['appid 0', { ...mixStopExample, appid: '0' }, 'mix_stop: field appid must be a uint32 AppID, got 0'],
    [
      'a repeated scalar form key',
      { ...mixStopExample, task_id: ['4001:a', '4001:b'] },
      'mix_stop: field task_id must be one value, got a list of 2',
    ],
    [
      'an object where a list of URLs belongs',
      { ...streamCreateExample, pic_url: [{}] },
      'stream_create: field pic_url must be a list of strings, got an object in it',
    ],
    [
      'recreate=2',
      { ...streamCreateExample, recreate: '2' },
      'stream_create: field recreate must be 0 or 1, got "2"',
    ],
    [
      'room_close without its reason',
      { ...roomCloseExample, close_reason: undefined },
      'room_close: missing field close_reason',
    ],
  ]
  for (const [name, body, reason] of cases) {
    it(name, () => {
      expect(failure(parseCallback(body))).toEqual({ kind: 'malformed', reason })
    })
  }

  it('lists several problems at once', () => {
    const { reason } = failure(parseCallback({ event: 'room_close', appid: 4001 }))
    expect(reason).toBe(
      'room_close: missing field room_id; missing field room_session_id; missing field close_reason',
    )
  })
})

describe('parseCallback: unknown events', () => {
  it('an event outside the five is unknown_event, not malformed', () => {
    expect(failure(parseCallback({ ...mixStopExample, event: 'room_create' }))).toEqual({
      kind: 'unknown_event',
      reason: 'unknown callback event "room_create"',
    })
  })

  it('does not mistake inherited property names for events', () => {
    expect(failure(parseCallback({ event: 'toString', appid: '4001' })).kind).toBe('unknown_event')
  })
})

describe('callbackAuthFields', () => {
  it('reads the signature fields of a string-typed callback', () => {
    expect(callbackAuthFields(streamCloseExample)).toEqual({
      appId: 4001,
      timestamp: '1700000500',
      nonce: '8813',
      signature: 'b'.repeat(40),
    })
  })

  it('writes room_close numbers in decimal, as the signature needs', () => {
    expect(callbackAuthFields(roomCloseExample)).toMatchObject({ appId: 4001, timestamp: '1700001000' })
  })

  it('reads form records', () => {
    expect(callbackAuthFields(asForm(mixStopExample))).toMatchObject({ appId: 4001, nonce: '88121' })
  })

  it('gives null for what is absent or unusable, without looking at the rest', () => {
    expect(callbackAuthFields({ appid: 'x', nonce: ['1', '2'] })).toEqual({
      appId: null,
      timestamp: null,
      nonce: null,
      signature: null,
    })
    expect(callbackAuthFields('not a body')).toEqual({
      appId: null,
      timestamp: null,
      nonce: null,
      signature: null,
    })
  })
})
