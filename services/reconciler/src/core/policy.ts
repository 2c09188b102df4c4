import { z } from 'zod'

/** What one app wants from the reconciler. Every field is data; nothing here is read from the environment. */
export interface AppPolicy {
  appId: number
  /** Decisions become `would_stop` and no task changes to `stopping`. */
  dryRun: boolean
  /** Never stopped, for any reason. */
  pinnedTaskIds: string[]
  /** Orphan grace, by the close reason of the input that went (stream_close.type). */
  graceMs: {
    /** type 0 (stopPublishingStream), 100 (DeleteStream), 3 (kicked) */
    normal: number
    /** type 1 (heartbeat timeout), 4 (TCP disconnect), 2 (re-login): these often come back (recreate=1) */
    reconnectable: number
    /** type 5 (room cleared), or a room_close for the stream's room session */
    roomGone: number
    /** the stream list API said the stream is not there, and no callback said so */
    observedAbsent: number
  }
  supersession: { sharedOutput: boolean; sharedUserInRoom: boolean }
  /** Only for tasks whose inputs are unknown (seen through mix_start only). */
  rooms: { stopOnRoomClose: boolean; stopWhenRoomEmpty: boolean; emptyRoomGraceMs: number }
  /**
   * Before an orphan (or room-empty) stop, the rooms of the inputs are listed (DescribeSimpleStreamList)
   * once its deadline has passed: callbacks can be lost, a publisher's reconnect (stream_create
   * recreate=1) included, and only the list tells a lost reconnect from a real end. A listed input is
   * live again; the stop fires only when every input is absent. Without an answer (the check failed,
   * or none came) it falls back to the callbacks alone one more grace after the first check (at least
   * UNCONFIRMED_STOP_MIN_WAIT_MS), its rule marked `+unconfirmed`. Dry-run reports its would_stop after
   * the confirmation too. Off: stop on the callbacks at the deadline.
   */
  confirmOrphansWithStreamList: boolean
  /** URL inputs give no liveness signal: by default a task with one is never orphaned. */
  urlInputsCountAsLive: boolean
  /** No mix_stop this long after our StopMix succeeded → GetMixTaskInfo. */
  verifyAfterStopMs: number
  /** A running task with no news this long → its room's stream list is checked. */
  silentTaskMs: number
  /**
   * The room sweep (room-sweep.ts): the rooms of running tasks are listed continuously, oldest news
   * first, so an input whose last callback (its stream_close) was lost is found within about a cycle
   * instead of after silentTaskMs. Its lists go in the executor's lowest lane.
   */
  roomSweep: {
    enabled: boolean
    /** The share of the app's stream-list budget (ROOM_LISTS_PER_SECOND) the sweep may take, (0, 1]. */
    listShare: number
  }
}

/**
 * Defaults. The reconnectable grace matches ZEGO's 90 s reconnect window (a publisher back within it
 * keeps its server stream, recreate=1); a normal close is the publisher's own decision, so a short
 * grace only absorbs a quick re-publish under the same stream id. Room-empty stops are off by default
 * because the stream list of a room we have not watched from its start may be incomplete. Orphans
 * are confirmed with the rooms' stream lists by default: it costs one list call per room and about a
 * second per stop, and it is what keeps a lost reconnect callback from stopping a live mix
 * (docs/architecture.md §7, guarantee 3); apps that prefer speed switch it off. The room sweep is on with half of the
 * list budget (20 lists/s): 100 rooms are each listed every 10 s (ZEGO's per-room limit), 1,000 rooms
 * every 50 s, and the other half stays free for confirmations.
 */
export function defaultPolicy(appId: number): AppPolicy {
  return {
    appId,
    dryRun: false,
    pinnedTaskIds: [],
    graceMs: { normal: 10_000, reconnectable: 90_000, roomGone: 5_000, observedAbsent: 30_000 },
    supersession: { sharedOutput: true, sharedUserInRoom: true },
    rooms: { stopOnRoomClose: true, stopWhenRoomEmpty: false, emptyRoomGraceMs: 60_000 },
    confirmOrphansWithStreamList: true,
    urlInputsCountAsLive: true,
    verifyAfterStopMs: 30_000,
    silentTaskMs: 10 * 60_000,
    roomSweep: { enabled: true, listShare: 0.5 },
  }
}

const ms = z.number().int().nonnegative()

/** For shells that read per-app policies from configuration. */
export const AppPolicySchema = z.object({
  appId: z.number().int().min(1).max(0xffffffff),
  dryRun: z.boolean(),
  pinnedTaskIds: z.array(z.string()),
  graceMs: z.object({ normal: ms, reconnectable: ms, roomGone: ms, observedAbsent: ms }),
  supersession: z.object({ sharedOutput: z.boolean(), sharedUserInRoom: z.boolean() }),
  rooms: z.object({ stopOnRoomClose: z.boolean(), stopWhenRoomEmpty: z.boolean(), emptyRoomGraceMs: ms }),
  confirmOrphansWithStreamList: z.boolean(),
  urlInputsCountAsLive: z.boolean(),
  verifyAfterStopMs: ms,
  silentTaskMs: z.number().int().positive(),
  roomSweep: z.object({ enabled: z.boolean(), listShare: z.number().gt(0).max(1) }),
}) satisfies z.ZodType<AppPolicy>

/**
 * Per-app overrides from configuration: every field optional, nested objects merged field by field
 * over the defaults (the appId comes from the app the overrides are listed under); unknown keys, nested
 * ones too, are an error (a typo never silently keeps a default).
 */
export const PolicyOverridesSchema = z
  .object({
    dryRun: z.boolean(),
    pinnedTaskIds: z.array(z.string()),
    graceMs: AppPolicySchema.shape.graceMs.partial().strict(),
    supersession: AppPolicySchema.shape.supersession.partial().strict(),
    rooms: AppPolicySchema.shape.rooms.partial().strict(),
    confirmOrphansWithStreamList: z.boolean(),
    urlInputsCountAsLive: z.boolean(),
    verifyAfterStopMs: ms,
    silentTaskMs: z.number().int().positive(),
    roomSweep: AppPolicySchema.shape.roomSweep.partial().strict(),
  })
  .partial()
  .strict()
