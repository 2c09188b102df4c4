import type { Decision } from '@mixguard/contracts'
import { describe, expect, it } from 'vitest'
import { nextDeadline } from './decide.ts'
import { ROOM_CHECK_INTERVAL_MS, ROOM_SWEEP_FRESH_MS, STOP_FLOOR_MS } from './limits.ts'
import type { AppPolicy } from './policy.ts'
import { ROOM_SWEEP_RULE } from './room-checks.ts'
import { sweepAllowance } from './room-sweep.ts'
import { closed, created, driver, isRoomCheck, outcomeFor, policyWith, startMix, T0 } from './test-kit.ts'

const sweeping = (share = 0.5, more: Partial<AppPolicy> = {}) =>
  policyWith({ roomSweep: { enabled: true, listShare: share }, ...more })

/** One single-input task per room, room i's input created i seconds after T0 (so room 0 is the stalest). */
function rooms(n: number, policy = sweeping()) {
  const d = driver(policy)
  for (let i = 0; i < n; i++) {
    const at = T0 + i * 1_000
    d.event(created({ streamId: `s${i}`, roomId: `r${i}`, at, seq: 1 }))
    d.event(startMix({ taskId: `t${i}`, roomId: `r${i}`, at: at + 100, inputs: [`s${i}`], receivedAt: at }))
  }
  return d
}

const sweeps = (decisions: { rule: string | null; evidence: { note: string | null } }[]) =>
  decisions.filter((x) => x.rule === ROOM_SWEEP_RULE).map((x) => x.evidence.note)

describe('the room sweep', () => {
  it('lists the rooms of running tasks, oldest news first, within its share of the list budget', () => {
    // A 5 % share is 2 lists per step.
    const d = rooms(3, sweeping(0.05))
    expect(sweepAllowance(d.policy)).toBe(2)
    const first = T0 + 2_000 + ROOM_SWEEP_FRESH_MS
    expect(nextDeadline(d.state)).toBeLessThanOrEqual(first)
    const made = d.tick(first)
    expect(made).toMatchObject([
      { action: 'verify', reason: 'silent', rule: ROOM_SWEEP_RULE, taskId: 't0', evidence: { note: 'r0' } },
      { action: 'verify', reason: 'silent', rule: ROOM_SWEEP_RULE, taskId: 't1', evidence: { note: 'r1' } },
    ])
    // The decision carries the time of the news it refreshes: the sweep's cycle time for the metrics.
    expect(made[0]?.evidence.deadline).toBe(d.stream('s0')?.touchedAt)
    // The next step, one second on, takes the third room.
    expect(nextDeadline(d.state)).toBe(first + 1_000)
    expect(sweeps(d.tick(first + 1_000))).toEqual(['r2'])
  })

  it('a step that comes late lists for the time it missed, up to two steps', () => {
    const d = rooms(9, sweeping(0.05)) // 2 lists per step
    const first = T0 + 8_000 + ROOM_SWEEP_FRESH_MS
    expect(sweeps(d.tick(first))).toEqual(['r0', 'r1'])
    // Due a second later, ticked half a second late: a step and a half, three lists.
    expect(sweeps(d.tick(first + 1_500))).toEqual(['r2', 'r3', 'r4'])
    expect(nextDeadline(d.state)).toBe(first + 2_500)
    // Ticked 5 s late: two steps' worth at most.
    expect(sweeps(d.tick(first + 7_500))).toEqual(['r5', 'r6', 'r7', 'r8'])
  })

  it('skips a room whose tasks all have fresh news, and never lists a room twice within 10 s', () => {
    const d = rooms(1)
    expect(d.tick(T0 + ROOM_SWEEP_FRESH_MS - 1)).toEqual([])
    const at = T0 + ROOM_SWEEP_FRESH_MS
    expect(sweeps(d.tick(at))).toEqual(['r0'])
    d.roomStreams('r0', ['s0'], at + 200)
    // Answered: fresh news again; swept once it is ROOM_SWEEP_FRESH_MS old.
    expect(sweeps(d.tick(at + ROOM_CHECK_INTERVAL_MS))).toEqual([])
    const again = at + 200 + ROOM_SWEEP_FRESH_MS
    expect(nextDeadline(d.state)).toBeLessThanOrEqual(again)
    expect(sweeps(d.tick(again))).toEqual(['r0'])
    // Unanswered: the room is not asked again while its check may still come back.
    expect(sweeps(d.tick(again + 5 * ROOM_CHECK_INTERVAL_MS))).toEqual([])
  })

  it('finds an orphan whose last close was lost: absent from a list, the observed-absent grace, a second list, the stop', () => {
    const d = rooms(1)
    const end = T0 + 60_000
    // s0 ends at `end`; its stream_close never arrives. Ticks go as a perfect shell timer would.
    let now = T0
    const lists = (t: number) => ({ r0: t < end ? ['s0'] : [] })
    const stops = []
    while (stops.length === 0 && now < end + 120_000) {
      now = Math.max(now + 1, nextDeadline(d.state) ?? now + 1_000)
      stops.push(...d.tickAnswered(now, lists(now)).filter((x) => x.action === 'stop'))
    }
    expect(stops).toMatchObject([
      { action: 'stop', taskId: 't0', reason: 'orphaned', rule: 'grace:observed_absent' },
    ])
    const stop = stops[0]
    const found = stop?.evidence.deadline ?? 0
    // Found by the first list after the end (at most a room interval later), stopped a grace after.
    expect(found - d.policy.graceMs.observedAbsent).toBeGreaterThanOrEqual(end)
    expect(found - d.policy.graceMs.observedAbsent).toBeLessThanOrEqual(end + ROOM_CHECK_INTERVAL_MS + 1_000)
    // The stop rests on two lists: the one that found it and the confirming one after the grace.
    expect(stop?.evidence.eventIds.filter((id) => id.startsWith('room_streams:r0@'))).toHaveLength(2)
    expect(now - end).toBeLessThan(60_000)
  })

  it('an input present in a list is live again, whatever callback said it closed', () => {
    const d = driver(sweeping())
    d.event(created({ streamId: 'a', at: T0, seq: 1 }))
    d.event(created({ streamId: 'b', at: T0, seq: 2 }))
    d.event(startMix({ taskId: 't', at: T0 + 100, inputs: ['a', 'b'] }))
    // b's close arrives, its reconnect is lost: the callbacks believe b gone while a lives on.
    d.event(closed({ streamId: 'b', at: T0 + 1_000, seq: 3, reason: 1 }))
    const at = T0 + 1_000 + ROOM_SWEEP_FRESH_MS
    expect(sweeps(d.tick(at))).toEqual(['r1'])
    d.roomStreams('r1', ['a', 'b'], at + 100)
    expect(d.stream('b')?.observed).toMatchObject({ present: true, at: at + 100 })
    // a closes for good later: b, revived by the list, still keeps the task.
    d.event(closed({ streamId: 'a', at: at + 5_000, seq: 4, reason: 0 }))
    expect(d.task('t')?.due.stopAt).toBeNull()
  })

  it('takes only what the confirmations left of its share in the same step', () => {
    const policy = sweeping(0.05) // 2 lists per step
    const d = rooms(3, policy)
    // An orphan in r2 (its close arrived): at its deadline the confirmation lists r2 first.
    d.event(closed({ streamId: 's2', roomId: 'r2', at: T0 + 5_000, seq: 2, reason: 0 }))
    const due = T0 + 5_000 + Math.max(d.policy.graceMs.normal, STOP_FLOOR_MS)
    const made = d.tick(due)
    expect(made.filter(isRoomCheck).map((x) => [x.rule, x.evidence.note])).toEqual([
      ['room_streams', 'r2'],
      [ROOM_SWEEP_RULE, 'r0'],
    ])
  })

  it('leaves out pinned tasks, tasks whose URL inputs count as live, and tasks with a stop deadline armed', () => {
    const d = driver(sweeping(0.5, { pinnedTaskIds: ['pinned'] }))
    d.event(created({ streamId: 'p', roomId: 'rp', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'pinned', roomId: 'rp', at: T0, inputs: ['p'] }))
    d.event(created({ streamId: 'u', roomId: 'ru', at: T0, seq: 1 }))
    d.event(
      startMix({
        taskId: 'url',
        roomId: 'ru',
        at: T0,
        inputs: ['u', { streamId: null, streamUrl: 'rtmp://cdn.example/x' }],
      }),
    )
    d.event(created({ streamId: 'c', roomId: 'rc', at: T0, seq: 1 }))
    d.event(startMix({ taskId: 'closing', roomId: 'rc', at: T0, inputs: ['c'] }))
    d.event(closed({ streamId: 'c', roomId: 'rc', at: T0 + 1_000, seq: 2, reason: 1 }))
    expect(sweeps(d.tick(T0 + 60_000))).toEqual([])
    expect(d.state.roomSweepAt).toBeNull()
  })

  it('holds a room whose other task is about to be confirmed, so the confirmation need not wait 10 s', () => {
    const d = driver(sweeping())
    d.event(created({ streamId: 'live', at: T0, seq: 1 }))
    d.event(created({ streamId: 'going', at: T0, seq: 2 }))
    d.event(startMix({ taskId: 'keeps', at: T0 + 100, inputs: ['live'], outputs: ['o1'], userId: 'u1' }))
    d.event(startMix({ taskId: 'orphan', at: T0 + 100, inputs: ['going'], outputs: ['o2'], userId: 'u2' }))
    const closeAt = T0 + 20_000
    d.event(closed({ streamId: 'going', at: closeAt, seq: 3, reason: 0 }))
    const deadline = closeAt + d.policy.graceMs.normal
    // Stale news of `live` (20 s), but the orphan's deadline is less than a room interval away.
    expect(sweeps(d.tick(deadline - ROOM_CHECK_INTERVAL_MS + 1))).toEqual([])
    // At the deadline the confirmation lists r1 at once.
    expect(d.tick(deadline).filter(isRoomCheck)).toMatchObject([
      { rule: 'room_streams', reason: 'orphaned', taskId: 'orphan', evidence: { note: 'r1' } },
    ])
  })

  it('a sweep list that failed for good never blocks the confirmation of an orphan in its room', () => {
    const d = rooms(1)
    const sweptAt = T0 + ROOM_SWEEP_FRESH_MS
    const [sweep] = d.tick(sweptAt).filter(isRoomCheck)
    expect(sweep).toMatchObject({ rule: ROOM_SWEEP_RULE, evidence: { note: 'r0' } })
    // The input ends while the sweep's list is failing (the executor tries it three times, 10 s apart).
    const closeAt = sweptAt + 500
    d.event(closed({ streamId: 's0', roomId: 'r0', at: closeAt, seq: 2, reason: 0 }))
    const deadline = closeAt + Math.max(d.policy.graceMs.normal, STOP_FLOOR_MS)
    expect(d.tick(deadline).filter((x) => x.action === 'stop')).toEqual([])
    const failedAt = sweptAt + 2 * ROOM_CHECK_INTERVAL_MS + 2_000
    d.outcome(outcomeFor(sweep as Decision, 'gave_up', failedAt, 'DescribeSimpleStreamList'))
    // The confirmation asks the room once ZEGO's per-room limit allows after the failed list's last
    // call, not a silentTaskMs later, and the stop rests on its list, not on the callbacks alone.
    const askAt = failedAt + ROOM_CHECK_INTERVAL_MS
    expect(d.tick(askAt - 1).filter(isRoomCheck)).toEqual([])
    expect(d.tick(askAt).filter(isRoomCheck)).toMatchObject([
      { rule: 'room_streams', reason: 'orphaned', taskId: 't0', evidence: { note: 'r0' } },
    ])
    d.roomStreams('r0', [], askAt + 200)
    expect(d.tick(askAt + 200)).toMatchObject([
      { action: 'stop', taskId: 't0', reason: 'orphaned', rule: 'grace:normal_close' },
    ])
  })

  it('switched off for the app: no list, nothing scheduled', () => {
    const d = rooms(2, policyWith({ roomSweep: { enabled: false, listShare: 0.5 } }))
    expect(d.state.roomSweepAt).toBeNull()
    expect(d.tick(T0 + 120_000).filter(isRoomCheck)).toEqual([])
    expect(d.state.roomSweepAt).toBeNull()
  })
})
