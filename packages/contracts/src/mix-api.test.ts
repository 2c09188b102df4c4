import { describe, expect, it } from 'vitest'
import { decodeEvent, encodeEvent } from './events.ts'
import { mixApiCallEvent, mixApiResponse } from './mix-api.ts'

const startMix = {
  TaskId: 'mix-r7',
  UserId: 'svc-mixer',
  RoomId: 'r-7',
  Sequence: 3,
  MaxIdleTime: 300,
  MixInput: [
    { StreamId: 's-1', RectInfo: { Layer: 0, Top: 0, Left: 0, Bottom: 360, Right: 640 } },
    { StreamUrl: 'rtmp://cdn.example/live/guest' },
    { StreamId: '', StreamUrl: 'rtmp://cdn.example/live/both' },
  ],
  MixOutput: [{ StreamId: 'mix-r7-out', VideoBitrate: 1_200_000, Fps: 15, Width: 640, Height: 360 }],
}

const ok = mixApiResponse(200, { Code: 0, Message: 'success', RequestId: 'req-1', Data: {} })

describe('mixApiCallEvent', () => {
  it('records a StartMix with its inputs, outputs and idle time', () => {
    const event = mixApiCallEvent({
      appId: 4001,
      action: 'StartMix',
      request: startMix,
      response: ok,
      requestedAt: 1_700_000_000_000,
      receivedAt: 1_700_000_000_250,
    })
    expect(event).toMatchObject({
      v: 1,
      appId: 4001,
      type: 'mix_api_call',
      occurredAt: 1_700_000_000_000,
      receivedAt: 1_700_000_000_250,
      body: {
        action: 'StartMix',
        taskId: 'mix-r7',
        userId: 'svc-mixer',
        roomId: 'r-7',
        sequence: 3,
        inputs: [
          { streamId: 's-1', streamUrl: null },
          { streamId: null, streamUrl: 'rtmp://cdn.example/live/guest' },
          { streamId: null, streamUrl: 'rtmp://cdn.example/live/both' },
        ],
        outputs: [{ streamId: 'mix-r7-out', streamUrl: null }],
        maxIdleTimeSec: 300,
        request: startMix,
        response: { httpStatus: 200, code: 0, message: 'success', requestId: 'req-1' },
      },
      raw: startMix,
    })
    expect(event.id).toMatch(/^[0-9a-f]{64}$/)
  })

  it('records a StopMix with no inputs or outputs', () => {
    const event = mixApiCallEvent({
      appId: 4001,
      action: 'StopMix',
      request: { TaskId: 'mix-r7', Sequence: '4' },
      response: { error: 'connect ETIMEDOUT' },
      requestedAt: 1,
      receivedAt: 2,
    })
    expect(event.body).toMatchObject({
      action: 'StopMix',
      taskId: 'mix-r7',
      userId: null,
      roomId: null,
      sequence: 4,
      inputs: [],
      outputs: [],
      maxIdleTimeSec: null,
      response: { error: 'connect ETIMEDOUT' },
    })
  })

  it('records StartAutoMix outputs but not its inputs', () => {
    const event = mixApiCallEvent({
      appId: 4001,
      action: 'StartAutoMix',
      request: { TaskId: 'auto-1', RoomId: 'r-7', UserId: 'u', MixOutput: [{ StreamUrl: 'rtmp://x/y' }] },
      response: ok,
      requestedAt: 1,
      receivedAt: 2,
    })
    expect(event.body).toMatchObject({ inputs: [], outputs: [{ streamId: null, streamUrl: 'rtmp://x/y' }] })
  })

  it('records a request that is not an object as it was', () => {
    const event = mixApiCallEvent({
      appId: 4001,
      action: 'StopMix',
      request: 'not json',
      response: mixApiResponse(400, 'Bad Request'),
      requestedAt: 1,
      receivedAt: 2,
    })
    expect(event.body).toMatchObject({
      taskId: '',
      request: 'not json',
      response: { httpStatus: 400, code: null, message: null, requestId: null },
    })
    expect(event.raw).toEqual({})
  })

  it('gives two identical calls at different times different ids, and one call one id', () => {
    const call = { appId: 4001, action: 'StartMix' as const, request: startMix, response: ok, receivedAt: 9 }
    const first = mixApiCallEvent({ ...call, requestedAt: 1 })
    expect(mixApiCallEvent({ ...call, requestedAt: 1 }).id).toBe(first.id)
    expect(mixApiCallEvent({ ...call, requestedAt: 2 }).id).not.toBe(first.id)
  })
})

describe('a mix-API call on Kafka', () => {
  const event = mixApiCallEvent({
    appId: 4001,
    action: 'StartMix',
    request: { ...startMix, Padding: 'x'.repeat(10_000) },
    response: ok,
    requestedAt: 1,
    receivedAt: 2,
  })

  it('holds the request once, and reads back as it was', () => {
    const bytes = encodeEvent(event)
    expect(bytes.length).toBeGreaterThan(10_000)
    expect(bytes.length).toBeLessThan(20_000)
    expect(decodeEvent(bytes)).toEqual({ ok: true, event })
  })

  it('keeps a request that is not an object, and reads records that hold the request twice', () => {
    const text = mixApiCallEvent({
      appId: 4001,
      action: 'StopMix',
      request: 'not json',
      response: ok,
      requestedAt: 1,
      receivedAt: 2,
    })
    expect(decodeEvent(encodeEvent(text))).toEqual({ ok: true, event: text })
    // Written before the request was stored once.
    expect(decodeEvent(JSON.stringify(event))).toEqual({ ok: true, event })
  })
})

describe('mixApiResponse', () => {
  it('reads a numeric Code given as text', () => {
    expect(mixApiResponse(200, { Code: '110209001', Message: 'task not exist' })).toEqual({
      httpStatus: 200,
      code: 110209001,
      message: 'task not exist',
      requestId: null,
    })
  })
})
