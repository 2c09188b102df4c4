import type { Command, CommandDecision, CommandLane } from '@mixguard/contracts'
import { ROOM_SWEEP_RULE } from './room-checks.ts'

/** A command before the decision fills in its app and lane: what to call, about which task or room. */
export type CommandTarget =
  | { call: 'StopMix'; taskId: string; userId: string | null }
  | { call: 'GetMixTaskInfo'; taskId: string }
  | { call: 'DescribeSimpleStreamList'; roomId: string }

/**
 * Supersession first, then orphans, then verification calls (docs/architecture.md §6), then the room
 * sweep. A check a stop waits on (an orphan's or empty room's stream list) is part of that stop, so it
 * goes with the orphans; the sweep's lists go last, so they never delay a confirmation.
 */
export function laneOf(decision: Pick<CommandDecision, 'action' | 'reason' | 'rule'>): CommandLane {
  if (decision.reason === 'superseded') return 'urgent'
  if (decision.rule === ROOM_SWEEP_RULE) return 'idle'
  if (decision.action === 'verify' && decision.reason !== 'orphaned' && decision.reason !== 'room_empty')
    return 'background'
  return 'normal'
}

export function commandOf(
  appId: number,
  decision: Pick<CommandDecision, 'action' | 'reason' | 'rule'>,
  target: CommandTarget,
): Command {
  return { ...target, appId, lane: laneOf(decision) }
}
