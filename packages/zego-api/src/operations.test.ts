import { describe, expect, it } from 'vitest'
import {
  DescribeSimpleStreamListData,
  DescribeSimpleStreamListRequest,
  GetMixTaskInfoData,
  GetMixTaskInfoRequest,
  StartAutoMixRequest,
  StartMixData,
  StartMixRequest,
  StopAutoMixRequest,
  StopMixRequest,
  ZegoEnvelope,
} from './operations.ts'

const startMix = {
  TaskId: 'mix-r7',
  UserId: 'svc-mixer',
  RoomId: 'r-7',
  MixInput: [
    { StreamId: 's-1', RectInfo: { Layer: 0, Top: 0, Left: 0, Bottom: 360, Right: 640 } },
    { StreamUrl: 'rtmp://example.com/live/s-2' },
  ],
  MixOutput: [{ StreamId: 'mix-r7-out', VideoBitrate: 1_200_000, Width: 640, Height: 360 }],
  MaxIdleTime: 90,
}

describe('request schemas', () => {
  it('accept a documented StartMix and keep fields ZEGO adds later', () => {
    const parsed = StartMixRequest.parse({
      ...startMix,
      FutureSwitch: 1,
      MixInput: [{ StreamId: 's', New: 'x' }],
    })
    expect(parsed.FutureSwitch).toBe(1)
    expect(parsed.MixInput[0]).toEqual({ StreamId: 's', New: 'x' })
    expect(StartMixRequest.parse(startMix)).toEqual(startMix)
  })

  it('require TaskId, UserId and at least one input and output', () => {
    for (const field of ['TaskId', 'UserId', 'MixInput', 'MixOutput'] as const) {
      const { [field]: _, ...rest } = startMix
      expect(StartMixRequest.safeParse(rest).success, field).toBe(false)
    }
    expect(StartMixRequest.safeParse({ ...startMix, MixInput: [] }).success).toBe(false)
    expect(StartMixRequest.safeParse({ ...startMix, TaskId: '' }).success).toBe(false)
  })

  it('require StreamId or StreamUrl on every input and output', () => {
    expect(StartMixRequest.safeParse({ ...startMix, MixInput: [{ RectInfo: {} }] }).success).toBe(false)
    expect(StartMixRequest.safeParse({ ...startMix, MixOutput: [{ Width: 2 }] }).success).toBe(false)
  })

  it('take StopMix with TaskId alone, or with Sequence and UserId', () => {
    expect(StopMixRequest.parse({ TaskId: 't' })).toEqual({ TaskId: 't' })
    expect(StopMixRequest.parse({ TaskId: 't', Sequence: 3, UserId: 'u' })).toEqual({
      TaskId: 't',
      Sequence: 3,
      UserId: 'u',
    })
    expect(StopMixRequest.safeParse({ TaskId: 't', Sequence: '3' }).success).toBe(false)
  })

  it('take auto-mix starts and stops as documented', () => {
    const start = { TaskId: 't', UserId: 'u', RoomId: 'r', MixOutput: [{ StreamId: 'o' }] }
    expect(StartAutoMixRequest.parse(start)).toEqual(start)
    expect(StartAutoMixRequest.safeParse({ ...start, RoomId: undefined }).success).toBe(false)
    expect(
      StartAutoMixRequest.parse({ ...start, ExtraMixInput: [{ StreamId: 'other', ModifyType: 1 }] })
        .ExtraMixInput,
    ).toEqual([{ StreamId: 'other', ModifyType: 1 }])
    expect(StopAutoMixRequest.safeParse({ TaskId: 't' }).success).toBe(false)
    expect(StopAutoMixRequest.parse({ TaskId: 't', RoomId: 'r' })).toEqual({ TaskId: 't', RoomId: 'r' })
  })

  it('allow only scalar extras on GET operations, whose parameters travel in the query', () => {
    expect(GetMixTaskInfoRequest.parse({ TaskId: 't', IsTest: 'false' })).toEqual({
      TaskId: 't',
      IsTest: 'false',
    })
    expect(GetMixTaskInfoRequest.safeParse({ TaskId: 't', Nested: { a: 1 } }).success).toBe(false)
    expect(DescribeSimpleStreamListRequest.safeParse({}).success).toBe(false)
  })
})

describe('answer schemas', () => {
  it('read the envelope, keeping unknown fields and tolerating a numeric RequestId or no Message', () => {
    expect(ZegoEnvelope.parse({ Code: 0, Message: 'success', RequestId: '42', Extra: true })).toEqual({
      Code: 0,
      Message: 'success',
      RequestId: '42',
      Extra: true,
    })
    expect(ZegoEnvelope.parse({ Code: 110209001, RequestId: 5885338326 })).toEqual({
      Code: 110209001,
      Message: '',
      RequestId: '5885338326',
    })
    expect(ZegoEnvelope.safeParse({ Code: '0', Message: 'success', RequestId: '1' }).success).toBe(false)
    expect(ZegoEnvelope.safeParse({ Message: 'no code' }).success).toBe(false)
    expect(ZegoEnvelope.safeParse([]).success).toBe(false)
  })

  it("read StartMix's Data, with PlayInfo null or absent as []", () => {
    const data = {
      UserId: 'u',
      Sequence: 2,
      RoomId: 'r',
      PlayInfo: [{ StreamId: 'o', RTMP: '', Status: 0 }],
      X: 1,
    }
    expect(StartMixData.parse(data)).toEqual(data)
    expect(StartMixData.parse({ PlayInfo: null }).PlayInfo).toEqual([])
    expect(StartMixData.parse({}).PlayInfo).toEqual([])
    expect(StartMixData.safeParse({ Sequence: 'two' }).success).toBe(false)
  })

  it("require GetMixTaskInfo's TaskId and MixDuration", () => {
    const data = { TaskInfo: { TaskId: 't', MixDuration: 12, Later: 'kept' } }
    expect(GetMixTaskInfoData.parse(data)).toEqual(data)
    expect(GetMixTaskInfoData.safeParse({ TaskInfo: { TaskId: 't' } }).success).toBe(false)
    expect(GetMixTaskInfoData.safeParse({}).success).toBe(false)
  })

  it('read the room stream list, null or absent as empty', () => {
    const item = { StreamId: 's', UserId: 'u', UserName: 'n', CreateTime: 1642045110123, StreamNumberId: 10 }
    expect(DescribeSimpleStreamListData.parse({ StreamList: [item] }).StreamList).toEqual([item])
    expect(DescribeSimpleStreamListData.parse({ StreamList: null }).StreamList).toEqual([])
    expect(DescribeSimpleStreamListData.safeParse({ StreamList: [{ UserId: 'u' }] }).success).toBe(false)
  })
})
