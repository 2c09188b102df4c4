import { z } from 'zod'

/**
 * The budget lanes of ZEGO calls, highest priority first (the same names as the zego-api budget's):
 * supersession `urgent`, orphan stops and the checks they wait on `normal`, other checks
 * `background`, the room sweep `idle`.
 */
export const COMMAND_LANES = ['urgent', 'normal', 'background', 'idle'] as const

const appId = z.number().int().min(1).max(0xffffffff)
const lane = z.enum(COMMAND_LANES)

/**
 * The ZEGO call a decision stands for, complete: the executor runs it as it is, reading nothing else
 * of the decision. `taskId` is the task the call is about, which is not always the decision's task
 * (a supersession check asks ZEGO about the newer task before the older one is stopped).
 */
export const CommandSchema = z.discriminatedUnion('call', [
  z.object({
    call: z.literal('StopMix'),
    appId,
    lane,
    taskId: z.string(),
    userId: z
      .string()
      .nullable()
      .describe('the initiator UserId, required by ZEGO when task ownership is on'),
  }),
  z.object({ call: z.literal('GetMixTaskInfo'), appId, lane, taskId: z.string() }),
  z.object({ call: z.literal('DescribeSimpleStreamList'), appId, lane, roomId: z.string() }),
])
export type Command = z.output<typeof CommandSchema>
export type CommandLane = (typeof COMMAND_LANES)[number]
