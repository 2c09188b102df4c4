import type { CommandDecision, Outcome, StreamRef, ZegoEvent } from '@mixguard/contracts'
import { emptyTable, type Table } from './table.ts'
import type { TaskPhase } from './task-phase.ts'

export { TASK_PHASES, type TaskPhase } from './task-phase.ts'

/**
 * The state of ONE app (one Kafka key). Plain JSON: the shell stores it on a compacted changelog and
 * restores it on partition assignment. Deadlines are absolute epoch ms inside it, never timers.
 */
export interface AppState {
  v: 1
  appId: number
  /** Bucketed (see table.ts): an app can have many streams, and each event writes one of them. */
  streams: Table<StreamRecord>
  /**
   * Bucketed like the streams: every input that writes a task copies the top level and one bucket,
   * not every task. Stored compact on the changelog (stored-state.ts); read them with tget/tvalues.
   */
  tasks: Table<TaskRecord>
  rooms: Table<RoomRecord>
  /** When expired records are next swept out (null while the state is empty). */
  sweepAt: number | null
  /** When the room sweep (room-sweep.ts) next lists rooms (null: no running task to sweep for). */
  roomSweepAt: number | null
  /** When its last step used its whole allowance or listed rooms (null: it waits for rooms to age). */
  roomSweepPacedAt: number | null
}

export function emptyState(appId: number): AppState {
  return {
    v: 1,
    appId,
    streams: emptyTable(),
    tasks: emptyTable(),
    rooms: emptyTable(),
    sweepAt: null,
    roomSweepAt: null,
    roomSweepPacedAt: null,
  }
}

/** What the shell feeds in; events in Kafka order. */
export type CoreInput =
  | { kind: 'event'; event: ZegoEvent }
  /**
   * "Time has reached `now`": fire every due deadline. `reassess`: the policy may have changed, so every
   * task is assessed again, not only those whose cached deadline has passed (decide.ts).
   */
  | { kind: 'tick'; reassess?: boolean }
  /** The executor's result for one of our decisions. */
  | { kind: 'outcome'; outcome: Outcome }
  /** A DescribeSimpleStreamList answer. */
  | { kind: 'room_streams'; roomId: string; streamIds: string[]; observedAt: number }

/** One stream_create or stream_close callback, reduced to what ordering and liveness need. */
export interface StreamFact {
  kind: 'create' | 'close'
  eventId: string
  sid: string
  roomId: string
  roomSessionId: string
  /** stream_seq: the room's stream-list change counter, authoritative inside one room session. */
  seq: number | null
  /** ZEGO's time of the fact (create_time_ms / destroy_timemillis), else the event's receivedAt. */
  at: number
  receivedAt: number
  closeReason: number | null
}

/** Evidence from outside the stream callbacks: a room stream list, or a successful StartMix naming it. */
export interface StreamObservation {
  present: boolean
  /** null when the observation does not say which room (a StartMix input). */
  roomId: string | null
  at: number
  /** Our processing time, the base of the stop floor. */
  receivedAt: number
  /** The event id, or `room_streams:<roomId>@<observedAt>` for a stream-list answer. */
  evidence: string
}

export interface StreamRecord {
  streamId: string
  /**
   * The latest fact per room session (key: JSON of [roomId, roomSessionId]). Inside a session facts
   * are ordered by stream_seq; across sessions by time. Keeping one winner per session makes the
   * outcome independent of arrival order and the record small.
   */
  facts: Record<string, StreamFact>
  observed: StreamObservation | null
  /** Processing time of the last news about this stream (silence and retention). */
  touchedAt: number
}

export interface RoomClose {
  roomSessionId: string
  eventId: string
  at: number
  receivedAt: number
  closeReason: number
}

export interface RoomRecord {
  roomId: string
  /** room_close callbacks by room session: every stream of a closed session is closed. */
  closed: Record<string, RoomClose>
  /** Last stream-list answer for this room: its observedAt, and when we processed it. */
  observedAt: number | null
  observedReceivedAt: number | null
  /**
   * observedAt of the latest stream list that listed a stream in this room: the room was open then,
   * so every room_close with an earlier close time is refuted (streams.ts closeRefuted).
   */
  listedAt: number | null
  /**
   * decidedAt of the last room_streams check, or when it failed for good (the executor's last list of
   * it went out about then). ZEGO allows one list per 10 s per room.
   */
  lastCheckAt: number | null
  /** The room_streams check waiting for its answer. */
  pendingCheck: CommandDecision | null
  /**
   * When the last check failed for good: the next silence check or sweep list waits a silentTaskMs,
   * not just the 10 s limit (an orphan's confirmation does not; see roomReadyAt).
   */
  checkFailedAt: number | null
  touchedAt: number
}

/** A start or stop of a task. `seq` is the mix callbacks' seq, only set for callback facts. */
export interface LifecycleFact {
  at: number
  seq: number | null
  source: 'api' | 'callback' | 'outcome'
  eventId: string
}

export type SupersessionRule = 'shared_output' | 'shared_user_in_room'

type StopReason = 'orphaned' | 'superseded' | 'room_closed' | 'room_empty'

/** Why a task should stop, and from when: the audit trail of a stop decision. */
export interface StopCause {
  reason: StopReason
  rule: string
  /** The deadline that expired (null for supersession, which stops at once). */
  deadline: number | null
  /** When the cause may fire: the deadline, or the moment a supersession was found. */
  dueAt: number
  eventIds: string[]
  supersededBy: string | null
  note: string
}

export interface Confirming {
  /** The orphan deadline that passed. */
  since: number
  /**
   * When the core first found that deadline passed (the first checks): only lists observed from
   * then on (or up to the stop floor before: a burst, see confirmation.ts) confirm, and the fallback counts from it.
   */
  startedAt: number
  /** Stop on the callbacks alone from here (startedAt + one more grace) if no list has come. */
  fallbackAt: number
  /** The rooms still without such a list. */
  rooms: string[]
}

export interface TaskRecord {
  taskId: string
  /** Started by StartAutoMix: its inputs are the room's streams. */
  auto: boolean
  roomId: string | null
  /** StartMix UserId or mix callback publish_id. */
  userId: string | null
  /** From the last applied StartMix; null = unknown (seen through mix_start only). */
  inputs: StreamRef[] | null
  inputsSequence: number | null
  inputsAt: number | null
  inputsEventId: string | null
  /** `stream:<id>` / `url:<url>` keys of every output seen in this run. */
  outputs: string[]
  lastStart: LifecycleFact | null
  lastStop: LifecycleFact | null
  /**
   * The current run (null before any start): when it started at the latest, and whether that time is
   * exact (a StartMix record's) or a mix callback's whole second (see lifecycle.ts datesEarlier).
   */
  run: { startedAt: number; precise: boolean; eventIds: string[] } | null
  phase: TaskPhase
  /**
   * ZEGO's word that the current run exists: a StartMix/StartAutoMix it accepted (Code 0 through the
   * passthrough), or a GetMixTaskInfo that answered Code 0. A run known from callbacks alone has none,
   * and supersedes nothing until it has (docs/architecture.md §5.3).
   */
  confirmedRun: { at: number; by: 'start_mix' | 'get_mix_task_info' } | null
  /** When a GetMixTaskInfo about the current run failed for good (no answer to be had). */
  runCheckFailedAt: number | null
  /** A mix_stop for the running task, held until ZEGO confirms it (see reported-stops.ts). */
  reportedStop: LifecycleFact | null
  /** Set when a newer task replaced this one; valid while the newer one runs. */
  superseded: { by: string; rule: SupersessionRule; eventIds: string[]; at: number } | null
  /** The cause of our last stop decision in this run (re-stops repeat it). */
  stopCause: StopCause | null
  stopAttempts: number
  /** The decision (stop or verify) waiting for its outcome. */
  pending: CommandDecision | null
  /** Verify with GetMixTaskInfo at this time unless mix_stop arrives first. */
  verifyAt: number | null
  /** Why the task is surfaced (stop_failed, or a failed verification). */
  problem: string | null
  /** Causes already reported as would_stop under dry-run (each once). */
  reported: string[]
  /** Cached deadlines for nextDeadline(), recomputed on every input with the current policy. */
  due: { stopAt: number | null; silentAt: number | null }
  /**
   * The "confirming" mark: an orphan (or room-empty) deadline has passed and the stop waits for stream
   * lists (see confirmation.ts). The task stays running meanwhile. Recomputed like `due`, but its
   * startedAt is kept while the deadline stays the same, so the fallback does not move.
   */
  confirming: Confirming | null
  touchedAt: number
}

export { parseAppState } from './state-schema.ts'
