// Test support for the executor (not part of the service's API): the decisions its tests submit.
import type { CommandDecision } from '@mixguard/contracts'

/** An orphan's room check: DescribeSimpleStreamList of room-1 for app 7. */
export const roomCheck: CommandDecision = {
  v: 1,
  id: 'd-room-check',
  appId: 7,
  taskId: 'task-1',
  action: 'verify',
  reason: 'orphaned',
  rule: 'room_streams',
  evidence: { eventIds: [], deadline: null, supersededBy: null, note: 'room-1' },
  decidedAt: 0,
  command: { call: 'DescribeSimpleStreamList', appId: 7, lane: 'normal', roomId: 'room-1' },
}

/** The orphan's stop: StopMix of task-1 for app 7. */
export const orphanStop: CommandDecision = {
  ...roomCheck,
  id: 'd-stop',
  action: 'stop',
  rule: 'grace:normal',
  command: { call: 'StopMix', appId: 7, lane: 'normal', taskId: 'task-1', userId: null },
}
