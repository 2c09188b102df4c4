import type { Command, CommandDecision, CommandLane } from '@mixguard/contracts'
import { ROOM_SWEEP_RULE } from './room-checks.ts'

/** A command before the decision fills in its app and lane: what to call, about which task or room. */
export type CommandTarget =
  | { call: 'StopMix'; taskId: string; userId: string | null }
  | { call: 'GetMixTaskInfo'; taskId: string }
  | { call: 'DescribeSimpleStreamList'; roomId: string }

/** The stop causes whose stream-list confirmation a stop waits on: their checks share the stop's lane. */
const STOP_REASONS_CHECKED: ReadonlySet<CommandDecision['reason']> = new Set([
  'orphaned',
  'room_empty',
  'room_closed',
])

/**
 * Supersession first, then orphans, then verification calls (docs/architecture.md §6), then the room
 * sweep. A check a stop waits on (an orphan's, a closed or empty room's stream list) is part of that
 * stop, so it goes with the orphans (a supersession's check of the newer task goes with supersession); the sweep's lists go last, so they never delay a confirmation.
 */
export function laneOf(decision: Pick<CommandDecision, 'action' | 'reason' | 'rule'>): CommandLane {
  if (decision.reason === 'superseded') return 'urgent'
  if (decision.rule === ROOM_SWEEP_RULE) return 'idle'
  if (decision.action === 'verify' && !STOP_REASONS_CHECKED.has(decision.reason)) return 'background'
  return 'normal'
}

export function commandOf(
  appId: number,
  decision: Pick<CommandDecision, 'action' | 'reason' | 'rule'>,
  target: CommandTarget,
): Command {
  return { ...target, appId, lane: laneOf(decision) }
}
