import type { Compact } from './compact-codec.ts'
import type { AppState } from './model.ts'
import { compactState } from './state-schema.ts'

/**
 * An app's state as the changelog stores it (v2): compact (compact-codec.ts), about 40 % of the JSON
 * of the AppState, and parsed several times faster on a restore, where parsing is most of the time to
 * ready. parseAppState reads it, and every form stored before it (v1: the JSON of the state, its tasks
 * in one flat map). A version before v2 cannot read it: it skips such a record as a state that does not
 * parse (the app then starts empty there), so a rollback past v2 loses the states saved since.
 */
export type StoredState = { v: 2 } & Compact

export function storedState(state: AppState): StoredState {
  return { v: 2, ...compactState.encode(state) }
}
