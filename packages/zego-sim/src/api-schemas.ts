import { z } from 'zod'
import type { StartAutoMixCommand, StartMixCommand, StopAutoMixCommand, StopMixCommand } from './world-mix.ts'
import type { MixInputRef, MixOutputRef } from './world-types.ts'

/**
 * What ZEGO accepts in request bodies (docs/zego.md §2–5), written from the simulator's side:
 * deliberately not shared with the client's schemas, so a disagreement between the two shows up in tests.
 * Unknown fields pass (ZEGO has many optional ones); a schema violation is `110200002`.
 */

// "String fields accept only digits, ASCII letters and ~ ! @ # $ % ^ & * ( ) _ + = - ` ; ' , . < > /"
const ID_CHARS = /^[0-9A-Za-z~!@#$%^&*()_+=\-`;',.<>/]+$/
const Id = z.string().min(1).max(256).regex(ID_CHARS, "only digits, letters and ~!@#$%^&*()_+=-`;',.<>/")
const Int32 = z
  .number()
  .int()
  .min(-(2 ** 31))
  .max(2 ** 31 - 1)

const RectInfo = z.looseObject({
  Layer: z.number().int().optional(),
  Top: z.number().int().optional(),
  Left: z.number().int().optional(),
  Bottom: z.number().int().optional(),
  Right: z.number().int().optional(),
  CornerRadius: z.number().int().min(0).max(100).optional(),
})

const eitherIdOrUrl = (i: { StreamId?: string | undefined; StreamUrl?: string | undefined }): boolean =>
  i.StreamId !== undefined || i.StreamUrl !== undefined

const MixInputItem = z
  .looseObject({
    StreamId: Id.optional(),
    StreamUrl: z
      .string()
      .regex(/^(rtmp|https?):\/\//i, 'StreamUrl must be RTMP or HTTP-FLV')
      .optional(),
    RectInfo: RectInfo.optional(),
    ContentControl: z.number().int().min(0).max(2).optional(),
    SoundLevelId: z.number().int().min(0).optional(),
    Volume: z.number().int().min(0).max(200).optional(),
    RenderMode: z.number().int().min(0).max(1).optional(),
  })
  .refine(eitherIdOrUrl, 'each MixInput needs StreamId or StreamUrl')

const MixOutputItem = z
  .looseObject({
    StreamId: Id.optional(),
    StreamUrl: z
      .string()
      .regex(/^rtmp:\/\//i, 'output StreamUrl must be rtmp://')
      .optional(),
    VideoBitrate: z.number().int().positive().optional(),
    Fps: z.number().int().positive().optional(),
    Width: z.number().int().min(0).max(3000).optional(),
    Height: z.number().int().min(0).max(3000).optional(),
  })
  .refine(eitherIdOrUrl, 'each MixOutput needs StreamId or StreamUrl')

export const StartMixBody = z
  .looseObject({
    TaskId: Id,
    UserId: Id,
    MixInput: z.array(MixInputItem),
    MixOutput: z.array(MixOutputItem),
    Sequence: Int32.optional(),
    RoomId: Id.optional(),
    MaxIdleTime: z.number().int().optional(),
    SoundLevel: z.number().int().min(0).max(1).optional(),
    ByPass: z.number().int().min(0).max(1).optional(),
    UserData: z.string().max(4000).optional(),
  })
  .refine((b) => b.SoundLevel !== 1 || b.MixInput.every((i) => i.SoundLevelId !== undefined), {
    message: 'SoundLevelId is required on every input when SoundLevel = 1',
  })

export const StopMixBody = z.looseObject({ TaskId: Id, Sequence: Int32.optional(), UserId: Id.optional() })

export const StartAutoMixBody = z.looseObject({
  TaskId: Id,
  UserId: Id,
  RoomId: Id,
  MixOutput: z.array(MixOutputItem),
  ExtraMixInput: z
    .array(
      z
        .looseObject({
          StreamId: Id.optional(),
          StreamUrl: z.string().optional(),
          ModifyType: z.number().int().min(0).max(1).optional(),
        })
        .refine(eitherIdOrUrl, 'each ExtraMixInput needs StreamId or StreamUrl'),
    )
    .optional(),
  Sequence: Int32.optional(),
})

export const StopAutoMixBody = z.looseObject({
  TaskId: Id,
  RoomId: Id,
  Sequence: Int32.optional(),
  UserId: Id.optional(),
})

export const TaskIdQuery = z.looseObject({ TaskId: Id })
export const RoomIdQuery = z.looseObject({ RoomId: Id })

// StreamUrl wins when both are given (ZEGO's rule for inputs and outputs).
const toInput = (i: { StreamId?: string | undefined; StreamUrl?: string | undefined }): MixInputRef =>
  i.StreamUrl !== undefined
    ? { kind: 'url', url: i.StreamUrl }
    : { kind: 'stream', streamId: i.StreamId ?? '' }
const toOutput = (o: { StreamId?: string | undefined; StreamUrl?: string | undefined }): MixOutputRef =>
  o.StreamUrl !== undefined
    ? { streamId: o.StreamId, url: o.StreamUrl }
    : { streamId: o.StreamId, url: undefined }

export function toStartMix(b: z.infer<typeof StartMixBody>): StartMixCommand {
  return {
    taskId: b.TaskId,
    userId: b.UserId,
    roomId: b.RoomId,
    inputs: b.MixInput.map(toInput),
    outputs: b.MixOutput.map(toOutput),
    sequence: b.Sequence,
    maxIdleSec: b.MaxIdleTime,
  }
}

export function toStopMix(b: z.infer<typeof StopMixBody>): StopMixCommand {
  return { taskId: b.TaskId, sequence: b.Sequence, userId: b.UserId }
}

export function toStartAutoMix(b: z.infer<typeof StartAutoMixBody>): StartAutoMixCommand {
  return {
    taskId: b.TaskId,
    userId: b.UserId,
    roomId: b.RoomId,
    outputs: b.MixOutput.map(toOutput),
    extraInputs: (b.ExtraMixInput ?? []).map((i) => ({ input: toInput(i), remove: i.ModifyType === 1 })),
    sequence: b.Sequence,
  }
}

export function toStopAutoMix(b: z.infer<typeof StopAutoMixBody>): StopAutoMixCommand {
  return { taskId: b.TaskId, roomId: b.RoomId, sequence: b.Sequence, userId: b.UserId }
}

/** One line naming each problem, the way ZEGO's Message points at the bad field. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ')
}
