export { type CommandTarget, laneOf } from './commands.ts'
export { decide, decideAll, nextDeadline, pendingDecisions, type TimedInput } from './decide.ts'
export {
  MAX_STOP_ATTEMPTS,
  RETENTION_MS,
  ROOM_CHECK_INTERVAL_MS,
  ROOM_LIST_ATTEMPTS,
  ROOM_LISTS_PER_SECOND,
  ROOM_SWEEP_FRESH_MS,
  STALE_LIVE_STREAM_MS,
  STOP_FLOOR_MS,
  SWEEP_INTERVAL_MS,
  UNCONFIRMED_STOP_MIN_WAIT_MS,
} from './limits.ts'
export {
  type AppState,
  type Confirming,
  type CoreInput,
  emptyState,
  type StopCause,
  TASK_PHASES,
  type TaskPhase,
  type TaskRecord,
} from './model.ts'
export { type AppPolicy, AppPolicySchema, defaultPolicy, PolicyOverridesSchema } from './policy.ts'
export { isRoomList, ROOM_STREAMS_RULE, ROOM_SWEEP_RULE } from './room-checks.ts'
export { AppStateSchema, parseAppState } from './state-schema.ts'
export { type StoredState, storedState, storedStateSteps, storedStateV1 } from './stored-state.ts'
export { type Table, tget, tvalues } from './table.ts'
