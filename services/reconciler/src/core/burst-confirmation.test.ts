import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { nextDeadline } from './decide.ts'
import { closed, created, driver, isRoomCheck, policyWith, startMix, T0 } from './test-kit.ts'

const TASKS = 500
const policy = policyWith({})
const grace = policy.graceMs.normal

/**
 * A mass orphan event in one room: `TASKS` tasks, each mixing its own stream of r1, every input closed
 * within half a second (as ZEGO's callbacks of one burst arrive). Time runs like the shell runs it,
 * ticking at each next deadline; ZEGO answers each stream list at once, with no stream.
 */
function burst() {
  const d = driver(policy)
  const ids = Array.from({ length: TASKS }, (_, i) => `t${String(i).padStart(3, '0')}`)
  for (const [i, taskId] of ids.entries()) {
    d.event(created({ streamId: `in-${taskId}`, at: T0 + i, seq: i + 1 }))
    d.event(startMix({ taskId, at: T0 + 1_000 + i, inputs: [`in-${taskId}`], userId: `svc-${taskId}` }))
  }
  const closeAt = T0 + 60_000
  for (const [i, taskId] of ids.entries())
    d.event(closed({ streamId: `in-${taskId}`, at: closeAt + i, seq: TASKS + i + 1 }))
  const lists: Decision[] = []
  const stops: { decision: Decision; at: number }[] = []
  for (
    let due = nextDeadline(d.state);
    due !== null && due <= closeAt + 60_000;
    due = nextDeadline(d.state)
  ) {
    for (const decision of d.tick(due)) {
      if (decision.action === 'stop') stops.push({ decision, at: due })
      if (!isRoomCheck(decision)) continue
      lists.push(decision)
      const roomId = decision.command?.call === 'DescribeSimpleStreamList' ? decision.command.roomId : ''
      d.roomStreams(roomId, [], due)
    }
  }
  return { ids, closeAt, lists, stops }
}

describe('a burst of orphans in one room is confirmed by one stream list', () => {
  it('asks the room once, and stops every task as soon as its own deadline passes', () => {
    const { ids, closeAt, lists, stops } = burst()
    expect(lists.map((l) => l.command)).toMatchObject([{ call: 'DescribeSimpleStreamList', roomId: 'r1' }])
    expect(stops.map((s) => s.decision.taskId).sort()).toEqual(ids)
    // The list is taken at the first deadline, after every close of the burst: it confirms them all.
    for (const { decision, at } of stops) {
      expect(decision.rule).toBe('grace:normal_close')
      expect(decision.evidence.eventIds).toContain(`room_streams:r1@${closeAt + grace}`)
      expect(at).toBe(decision.evidence.deadline)
    }
    expect(Math.max(...stops.map((s) => s.at))).toBe(closeAt + TASKS - 1 + grace)
  })
})

describe('a list never confirms a close it did not see', () => {
  it('a close later than the list waits for a newer list, even inside the burst', () => {
    // No grace, and ZEGO's clock ahead of ours: b's close (by ZEGO's time) is after a's list.
    const d = driver(policyWith({ graceMs: { ...policy.graceMs, normal: 0 } }))
    d.event(created({ streamId: 's1', at: T0, seq: 1 }))
    d.event(created({ streamId: 's2', at: T0 + 1, seq: 2 }))
    d.event(startMix({ taskId: 'task-a', at: T0 + 1_000, inputs: ['s1'], userId: 'ua' }))
    d.event(startMix({ taskId: 'task-b', at: T0 + 1_000, inputs: ['s2'], userId: 'ub' }))
    const closeA = T0 + 60_000
    d.event(closed({ streamId: 's1', at: closeA, seq: 3 }))
    const listAt = closeA + 3_000
    d.event(closed({ streamId: 's2', at: listAt + 100, receivedAt: closeA + 400, seq: 4 }))
    expect(d.tickAnswered(listAt)).toMatchObject([{ action: 'stop', taskId: 'task-a' }])
    const dueB = closeA + 400 + 3_000
    expect(nextDeadline(d.state)).toBe(dueB)
    expect(d.tick(dueB)).toEqual([])
    expect(d.task('task-b')?.confirming).toMatchObject({ since: dueB, rooms: ['r1'] })
  })
})
