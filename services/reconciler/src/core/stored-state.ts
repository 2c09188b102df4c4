import { isObject } from './in-place-parse.ts'
import type { AppState, TaskRecord } from './model.ts'

/**
 * An app's state as the changelog stores it: the AppState, but with the tasks in one flat map
 * (TaskId → task), the shape every version wrote before the core bucketed them. Keeping it lets a
 * version from before read what this one writes (a rollback, or a rolling upgrade that hands a
 * partition back). Flattening costs one pass over the tasks, far less than the JSON of the save.
 */
export type StoredAppState = Omit<AppState, 'tasks'> & { tasks: Record<string, TaskRecord> }

export function storedState(state: AppState): StoredAppState {
  const tasks: Record<string, TaskRecord> = {}
  for (const name in state.tasks) {
    const bucket = state.tasks[name]
    if (bucket !== undefined) for (const key in bucket) tasks[key] = bucket[key] as TaskRecord
  }
  return { ...state, tasks }
}

/**
 * Freshly parsed JSON of a state, its task map in the shape of a table: a flat one (the stored shape)
 * becomes one bucket under a name no key hashes to, which parseAppState's rebucket then spreads over
 * the buckets; a bucketed one (the JSON of an AppState itself) is left as it is. A flat map holds
 * task records, which have a string `taskId`; a bucket never does (its values are all records).
 */
export function withTaskBuckets(value: unknown): unknown {
  if (!isObject(value) || !isObject(value.tasks)) return value
  for (const key in value.tasks) {
    const first = value.tasks[key]
    if (isObject(first) && typeof first.taskId === 'string') value.tasks = { flat: value.tasks }
    break
  }
  return value
}
