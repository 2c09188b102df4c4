import type { Compact } from './compact-codec.ts'
import type { AppState, TaskRecord } from './model.ts'
import { compactState } from './state-schema.ts'
import { tvalues } from './table.ts'

/**
 * An app's state as the changelog stores it (v2): compact (compact-codec.ts), about 40 % of the JSON
 * of the AppState, and parsed several times faster on a restore, where parsing is most of the time to
 * ready. parseAppState reads it, and every form stored before it (v1: the JSON of the state, its tasks
 * in one flat map). A version before v2 cannot read it: it skips such a record as a state that does not
 * parse (the app then starts empty there), so a rollback past v2 loses the states saved since: a
 * rollout that must stay readable by such a version writes v1 (storedStateV1, RECONCILER_STATE_FORMAT)
 * until no rollback past v2 is wanted.
 */
export type StoredState = { v: 2 } & Compact

export function storedState(state: AppState): StoredState {
  return { v: 2, ...compactState.encode(state) }
}

/** storedState in steps, a bucket of a table each (compact-codec.ts encodeSteps): how a save makes it. */
export function* storedStateSteps(state: AppState): Generator<void, StoredState, void> {
  return { v: 2, ...(yield* compactState.encodeSteps(state)) }
}

/** The form versions before v2 stored: the state's JSON with its tasks in one flat map. */
export function storedStateV1(
  state: AppState,
): Omit<AppState, 'tasks'> & { tasks: Record<string, TaskRecord> } {
  const tasks: Record<string, TaskRecord> = {}
  for (const task of tvalues(state.tasks)) tasks[task.taskId] = task
  return { ...state, tasks }
}
