import { type CommandDecision, type Decision, DecisionSchema } from '@mixguard/contracts'
import { z } from 'zod'
import { type CommandTarget, commandOf } from './commands.ts'
import { compactCodec } from './compact-codec.ts'
import { inPlaceParser, isObject } from './in-place-parse.ts'
import type { AppState } from './model.ts'
import { rebucket } from './table.ts'
import { TASK_PHASES } from './task-phase.ts'

const nullableInt = z.number().int().nullable()

const StreamFactSchema = z.object({
  kind: z.enum(['create', 'close']),
  eventId: z.string(),
  sid: z.string(),
  roomId: z.string(),
  roomSessionId: z.string(),
  seq: nullableInt,
  at: z.number(),
  receivedAt: z.number(),
  closeReason: nullableInt,
})

const StreamRecordSchema = z.object({
  streamId: z.string(),
  facts: z.record(z.string(), StreamFactSchema),
  observed: z
    .object({
      present: z.boolean(),
      roomId: z.string().nullable(),
      at: z.number(),
      receivedAt: z.number(),
      evidence: z.string(),
    })
    .nullable(),
  touchedAt: z.number(),
})

/**
 * A decision saved before decisions carried their command gets it here, from the record that keeps it
 * (the room of a list, the task of a stop or a verification): what the executor ran for it then.
 */
function withCommand(decision: Decision, target: CommandTarget): CommandDecision {
  if (decision.command) return decision as CommandDecision
  return { ...decision, command: commandOf(decision.appId, decision, target) }
}

const RoomRecordSchema = z
  .object({
    roomId: z.string(),
    closed: z.record(
      z.string(),
      z.object({
        roomSessionId: z.string(),
        eventId: z.string(),
        at: z.number(),
        receivedAt: z.number(),
        closeReason: z.number().int(),
      }),
    ),
    observedAt: z.number().nullable(),
    observedReceivedAt: z.number().nullable(),
    // Absent from states saved before refuted room closes were kept apart: no list refuted one yet.
    listedAt: z.number().nullable().default(null),
    lastCheckAt: z.number().nullable(),
    pendingCheck: DecisionSchema.nullable(),
    checkFailedAt: z.number().nullable(),
    touchedAt: z.number(),
  })
  // In place (no copy of every room on a restore): the input is the parse's own fresh object.
  .transform((room) =>
    Object.assign(room, {
      pendingCheck:
        room.pendingCheck &&
        withCommand(room.pendingCheck, { call: 'DescribeSimpleStreamList', roomId: room.roomId }),
    }),
  )

const LifecycleFactSchema = z.object({
  at: z.number(),
  seq: nullableInt,
  source: z.enum(['api', 'callback', 'outcome']),
  eventId: z.string(),
})

const StopCauseSchema = z.object({
  reason: z.enum(['orphaned', 'superseded', 'room_closed', 'room_empty']),
  rule: z.string(),
  deadline: z.number().nullable(),
  dueAt: z.number(),
  eventIds: z.array(z.string()),
  supersededBy: z.string().nullable(),
  note: z.string(),
})

const TaskRecordSchema = z
  .object({
    taskId: z.string(),
    auto: z.boolean(),
    roomId: z.string().nullable(),
    userId: z.string().nullable(),
    inputs: z
      .array(z.object({ streamId: z.string().nullable(), streamUrl: z.string().nullable() }))
      .nullable(),
    inputsSequence: nullableInt,
    inputsAt: z.number().nullable(),
    inputsEventId: z.string().nullable(),
    outputs: z.array(z.string()),
    lastStart: LifecycleFactSchema.nullable(),
    lastStop: LifecycleFactSchema.nullable(),
    run: z.object({ startedAt: z.number(), precise: z.boolean(), eventIds: z.array(z.string()) }).nullable(),
    phase: z.enum(TASK_PHASES),
    // Absent from states saved before confirmations of runs existed: such a run counts as unconfirmed.
    confirmedRun: z
      .object({ at: z.number(), by: z.enum(['start_mix', 'get_mix_task_info']) })
      .nullable()
      .default(null),
    runCheckFailedAt: z.number().nullable().default(null),
    reportedStop: LifecycleFactSchema.nullable().default(null),
    superseded: z
      .object({
        by: z.string(),
        rule: z.enum(['shared_output', 'shared_user_in_room']),
        eventIds: z.array(z.string()),
        at: z.number(),
      })
      .nullable(),
    stopCause: StopCauseSchema.nullable(),
    stopAttempts: z.number().int().nonnegative(),
    pending: DecisionSchema.nullable(),
    verifyAt: z.number().nullable(),
    problem: z.string().nullable(),
    reported: z.array(z.string()),
    due: z.object({ stopAt: z.number().nullable(), silentAt: z.number().nullable() }),
    // Absent from states saved before it existed; it is derived, and recomputed on the next tick.
    confirming: z
      .object({
        since: z.number(),
        startedAt: z.number(),
        fallbackAt: z.number(),
        rooms: z.array(z.string()),
      })
      .nullable()
      .default(null),
    touchedAt: z.number(),
  })
  // In place (no copy of every task on a restore): the input is the parse's own fresh object.
  .transform((task) =>
    Object.assign(task, {
      pending:
        task.pending &&
        withCommand(
          task.pending,
          task.pending.action === 'verify'
            ? { call: 'GetMixTaskInfo', taskId: task.taskId }
            : { call: 'StopMix', taskId: task.taskId, userId: task.userId },
        ),
    }),
  )

// A bucket may be undefined in memory (table.ts), never in JSON.
const table = <T extends z.ZodType>(record: T) =>
  z.record(z.string(), z.record(z.string(), record).optional())

/** An app's state, checked on restore (an edge: bytes from Kafka) once its task map is bucketed. */
export const AppStateSchema = z.object({
  v: z.literal(1),
  appId: z.number().int().min(1).max(0xffffffff),
  streams: table(StreamRecordSchema),
  tasks: table(TaskRecordSchema),
  rooms: table(RoomRecordSchema),
  sweepAt: z.number().nullable(),
  // Absent from states saved before the room sweep existed: the next tick schedules it.
  roomSweepAt: z.number().nullable().default(null),
  roomSweepPacedAt: z.number().nullable().default(null),
}) satisfies z.ZodType<AppState>

const parseState = inPlaceParser(AppStateSchema)

/** The changelog's form of a state since v2 (stored-state.ts): see compact-codec.ts. */
export const compactState = compactCodec(AppStateSchema)

/**
 * A restored state, or null when it is not one this version of the core can use. `value` is freshly
 * parsed JSON, and is consumed. It reads every form a state was stored in: the compact one
 * (`{ v: 2, strings, data, json }`, stored-state.ts), the flat task map that versions before it stored,
 * and the JSON of an AppState itself; the last two are checked and completed where they lie
 * (in-place-parse.ts). Records are put back in the bucket their key hashes to, so a state written with
 * other buckets still reads right.
 */
export function parseAppState(value: unknown): AppState | null {
  let s: AppState | null
  if (isObject(value) && value.v === 2) s = compactState.decode(value)
  else {
    const parsed = parseState(withTaskBuckets(value))
    s = parsed.success ? parsed.data : null
  }
  if (s === null) return null
  return { ...s, streams: rebucket(s.streams), tasks: rebucket(s.tasks), rooms: rebucket(s.rooms) }
}

/**
 * Freshly parsed JSON of a state, its task map in the shape of a table: a flat one (what versions before
 * v2 stored, and before the core bucketed its tasks) becomes one bucket under a name no key hashes to,
 * which rebucket then spreads over the buckets; a bucketed one (the JSON of an AppState itself) is left
 * as it is. A flat map holds task records, which have a string `taskId`; a bucket never does (its values
 * are all records).
 */
function withTaskBuckets(value: unknown): unknown {
  if (!isObject(value) || !isObject(value.tasks)) return value
  for (const key in value.tasks) {
    const first = value.tasks[key]
    if (isObject(first) && typeof first.taskId === 'string') value.tasks = { flat: value.tasks }
    break
  }
  return value
}
