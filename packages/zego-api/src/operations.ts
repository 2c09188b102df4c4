import { z } from 'zod'

// Schemas follow ZEGO's field text (docs/zego.md §2–5, §4b). Objects are loose: fields ZEGO adds
// later pass through requests untouched and stay visible in answers. Ranges and counts are left to ZEGO,
// whose limits support can raise per app.

const str = z.string()
const num = z.number()

/** ZEGO's backend writes empty lists as `null` at times; read null or absent as []. */
const list = <T extends z.ZodType>(item: T) =>
  z
    .array(item)
    .nullish()
    .transform((items) => items ?? [])

const hasSource = (item: { StreamId?: string | undefined; StreamUrl?: string | undefined }): boolean =>
  item.StreamId !== undefined || item.StreamUrl !== undefined
const sourceMessage = { message: 'give StreamId or StreamUrl' }

export const RectInfo = z.looseObject({
  Layer: num.optional(),
  Top: num.optional(),
  Left: num.optional(),
  Bottom: num.optional(),
  Right: num.optional(),
  CornerRadius: num.optional(),
})

export const ExPara = z.array(z.looseObject({ Key: str, Value: str }))

export const MixInput = z
  .looseObject({
    StreamId: str.optional(),
    StreamUrl: str.optional(),
    /** Left out: the input is mixed as audio only. */
    RectInfo: RectInfo.optional(),
    BlurInfo: z.looseObject({}).optional(),
    Image: z.looseObject({ Url: str.optional(), DisplayMode: num.optional() }).optional(),
    ContentControl: num.optional(),
    SoundLevelId: num.optional(),
    Volume: num.optional(),
    Label: z.looseObject({}).optional(),
    RenderMode: num.optional(),
    UID: str.optional(),
  })
  .refine(hasSource, sourceMessage)

export const MixOutput = z
  .looseObject({
    StreamId: str.optional(),
    StreamUrl: str.optional(),
    VideoBitrate: num.optional(),
    VideoEncId: num.optional(),
    Fps: num.optional(),
    Width: num.optional(),
    Height: num.optional(),
    AudioCodec: num.optional(),
    AudioBitrate: num.optional(),
    SoundChannel: num.optional(),
    ExtraLayers: z.array(z.looseObject({ VideoBitrate: num })).optional(),
    LowBitrateHD: num.optional(),
    TargetRoom: z.looseObject({ RoomId: str, UserId: str.optional() }).optional(),
  })
  .refine(hasSource, sourceMessage)

export const StartMixRequest = z.looseObject({
  TaskId: str.min(1),
  UserId: str.min(1),
  MixInput: z.array(MixInput).min(1),
  MixOutput: z.array(MixOutput).min(1),
  /** Required only when ZEGO support enabled sequence control; must rise with each change to a task. */
  Sequence: num.optional(),
  RoomId: str.optional(),
  UserData: str.optional(),
  SoundLevel: num.optional(),
  BackgroundImage: str.optional(),
  BackGroundColorHex: str.optional(),
  WaterMark: z.looseObject({ Image: str.optional(), RectInfo: RectInfo.optional() }).optional(),
  ByPass: num.optional(),
  SoundChannel: num.optional(),
  CheckImageMode: num.optional(),
  ExPara: ExPara.optional(),
  AlignmentType: num.optional(),
  RecvBufferLevel: num.optional(),
  WaitVideoInput: num.optional(),
  /** Seconds the task lives on once every input is gone (ZEGO: default 90, 90–14400). Billed meanwhile. */
  MaxIdleTime: num.optional(),
})

export const StopMixRequest = z.looseObject({
  TaskId: str.min(1),
  Sequence: num.optional(),
  /** Must be the start UserId when ZEGO's task ownership is enabled. */
  UserId: str.optional(),
})

/** GET operations carry business parameters in the query, so extra fields must be scalars. */
const queryExtra = z.union([str, num, z.boolean()])

export const GetMixTaskInfoRequest = z.object({ TaskId: str.min(1) }).catchall(queryExtra)

export const AutoMixOutput = z
  .looseObject({
    StreamId: str.optional(),
    StreamUrl: str.optional(),
    AudioCodec: num.optional(),
    AudioBitrate: num.optional(),
    SoundChannel: num.optional(),
  })
  .refine(hasSource, sourceMessage)

export const ExtraMixInput = z
  .looseObject({
    StreamId: str.optional(),
    StreamUrl: str.optional(),
    /** 0 add (default), 1 remove. */
    ModifyType: num.optional(),
    SoundLevelId: num.optional(),
    Volume: num.optional(),
  })
  .refine(hasSource, sourceMessage)

export const StartAutoMixRequest = z.looseObject({
  TaskId: str.min(1),
  UserId: str.min(1),
  RoomId: str.min(1),
  MixOutput: z.array(AutoMixOutput).min(1),
  ExtraMixInput: z.array(ExtraMixInput).optional(),
  Sequence: num.optional(),
  UserData: str.optional(),
  SoundLevel: num.optional(),
  ByPass: num.optional(),
  SoundChannel: num.optional(),
  AlignmentType: num.optional(),
  RecvBufferLevel: num.optional(),
  ExPara: ExPara.optional(),
})

export const StopAutoMixRequest = z.looseObject({
  TaskId: str.min(1),
  RoomId: str.min(1),
  Sequence: num.optional(),
  UserId: str.optional(),
})

export const DescribeSimpleStreamListRequest = z.object({ RoomId: str.min(1) }).catchall(queryExtra)

/** The common answer of every ZEGO server API. Message and RequestId are read leniently: Code is what matters. */
export const ZegoEnvelope = z.looseObject({
  Code: z.number().int(),
  Message: str.nullish().transform((message) => message ?? ''),
  RequestId: z
    .union([str, num])
    .nullish()
    .transform((id) => (id === null || id === undefined ? '' : String(id))),
  Data: z.unknown().optional(),
})

export const PlayInfo = z.looseObject({
  StreamId: str.nullish(),
  RTMP: str.nullish(),
  HLS: str.nullish(),
  FLV: str.nullish(),
  /** Not documented by ZEGO. */
  Status: num.nullish(),
  UserName: str.nullish(),
})

export const StartMixData = z.looseObject({
  UserId: str.nullish(),
  Sequence: num.nullish(),
  RoomId: str.nullish(),
  /** Play URLs are filled in only for CDN outputs with configured pull domains. */
  PlayInfo: list(PlayInfo),
})

export const GetMixTaskInfoData = z.looseObject({
  TaskInfo: z.looseObject({
    TaskId: str,
    /** Seconds the task has run. */
    MixDuration: num,
  }),
})

export const StreamListItem = z.looseObject({
  StreamId: str,
  UserId: str.nullish(),
  UserName: str.nullish(),
  /** Milliseconds in ZEGO's example. */
  CreateTime: num.nullish(),
  StreamNumberId: num.nullish(),
})

export const DescribeSimpleStreamListData = z.looseObject({ StreamList: list(StreamListItem) })

/** StopMix and StopAutoMix answer no Data; whatever comes is ignored. */
const NoData = z.unknown().transform((): undefined => undefined)

export type RectInfo = z.input<typeof RectInfo>
export type MixInput = z.input<typeof MixInput>
export type MixOutput = z.input<typeof MixOutput>
export type StartMixRequest = z.input<typeof StartMixRequest>
export type StopMixRequest = z.input<typeof StopMixRequest>
export type GetMixTaskInfoRequest = z.input<typeof GetMixTaskInfoRequest>
export type AutoMixOutput = z.input<typeof AutoMixOutput>
export type ExtraMixInput = z.input<typeof ExtraMixInput>
export type StartAutoMixRequest = z.input<typeof StartAutoMixRequest>
export type StopAutoMixRequest = z.input<typeof StopAutoMixRequest>
export type DescribeSimpleStreamListRequest = z.input<typeof DescribeSimpleStreamListRequest>
export type ZegoEnvelope = z.output<typeof ZegoEnvelope>
export type PlayInfo = z.output<typeof PlayInfo>
export type StartMixData = z.output<typeof StartMixData>
export type StartAutoMixData = StartMixData
export type GetMixTaskInfoData = z.output<typeof GetMixTaskInfoData>
export type StreamListItem = z.output<typeof StreamListItem>
export type DescribeSimpleStreamListData = z.output<typeof DescribeSimpleStreamListData>

/** What the client needs to know to call one ZEGO Action. */
export interface Operation<Request extends z.ZodType, Data extends z.ZodType> {
  action: string
  /** POST: business parameters in a JSON body. GET: in the query string. */
  method: 'GET' | 'POST'
  request: Request
  data: Data
}

const operation = <Request extends z.ZodType, Data extends z.ZodType>(
  action: string,
  method: 'GET' | 'POST',
  request: Request,
  data: Data,
): Operation<Request, Data> => ({ action, method, request, data })

export const operations = {
  StartMix: operation('StartMix', 'POST', StartMixRequest, StartMixData),
  StopMix: operation('StopMix', 'POST', StopMixRequest, NoData),
  GetMixTaskInfo: operation('GetMixTaskInfo', 'GET', GetMixTaskInfoRequest, GetMixTaskInfoData),
  StartAutoMix: operation('StartAutoMix', 'POST', StartAutoMixRequest, StartMixData),
  StopAutoMix: operation('StopAutoMix', 'POST', StopAutoMixRequest, NoData),
  DescribeSimpleStreamList: operation(
    'DescribeSimpleStreamList',
    'GET',
    DescribeSimpleStreamListRequest,
    DescribeSimpleStreamListData,
  ),
}
export type OperationName = keyof typeof operations
