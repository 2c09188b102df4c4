/**
 * What the property tests check against the true world (not part of the core's API): random app
 * policies, and the soundness and completeness of a run's stop decisions.
 */
import type { Decision } from '@mixguard/contracts'
import fc from 'fast-check'
import { expect } from 'vitest'
import type { AppPolicy } from './policy.ts'
import { policyWith } from './test-kit.ts'
import type { World } from './test-world.ts'

export const policyArb: fc.Arbitrary<AppPolicy> = fc
  .record({
    sharedOutput: fc.boolean(),
    sharedUserInRoom: fc.boolean(),
    urlInputsCountAsLive: fc.boolean(),
    dryRun: fc.boolean(),
    pinned: fc.subarray(['t0', 't1', 't2', 't3'], { maxLength: 1 }),
    confirm: fc.boolean(),
    sweep: fc.boolean(),
    listShare: fc.constantFrom(0.025, 0.5, 1),
  })
  .map((p) =>
    policyWith({
      supersession: { sharedOutput: p.sharedOutput, sharedUserInRoom: p.sharedUserInRoom },
      urlInputsCountAsLive: p.urlInputsCountAsLive,
      dryRun: p.dryRun,
      pinnedTaskIds: p.pinned,
      confirmOrphansWithStreamList: p.confirm,
      roomSweep: { enabled: p.sweep, listShare: p.listShare },
    }),
  )

export const stopping = (d: Decision) => d.action === 'stop' || d.action === 'would_stop'

/** A stop that cites the task's inputs or room must find them gone by the ground truth at `at`. */
export function inputsLiveAt(world: World, taskId: string, at: number, policy: AppPolicy): boolean {
  const truth = world.tasks.get(taskId)
  if (truth === undefined) return false
  if (truth.url && policy.urlInputsCountAsLive) return true
  return world.inputsAt(taskId, at).some((s) => world.streamLiveAt(s, at))
}

function checkSupersession(world: World, d: Decision, policy: AppPolicy): void {
  const older = world.tasks.get(d.taskId)
  const newer = d.evidence.supersededBy === null ? undefined : world.tasks.get(d.evidence.supersededBy)
  expect(
    older && newer && newer.startAt > older.startAt,
    `superseded by an older task: ${JSON.stringify(d)}`,
  ).toBe(true)
  const rule =
    d.rule === 'shared_output' ? policy.supersession.sharedOutput : policy.supersession.sharedUserInRoom
  expect(rule, `rule switched off: ${d.rule}`).toBe(true)
  if (d.rule === 'shared_output') expect(older?.output).toBe(newer?.output)
  else expect([older?.userId, older?.roomId]).toEqual([newer?.userId, newer?.roomId])
}

/**
 * Soundness: every stop is allowed (not pinned, the right action for dry-run), a supersession names a
 * newer task under a rule that is on, any other stop finds the task's inputs gone by the ground truth
 * at `at`; no task is stopped twice. Completeness: a task running at the end with every input gone
 * was stopped, unless superseded, pinned, or `excused` (it had no evidence the core could see).
 */
export function checkAll(
  world: World,
  decisions: Decision[],
  policy: AppPolicy,
  at: (d: Decision) => number,
  excused: (taskId: string) => boolean = () => false,
): void {
  const stops = decisions.filter(stopping)
  for (const d of stops) {
    expect(policy.pinnedTaskIds).not.toContain(d.taskId)
    expect(d.action).toBe(policy.dryRun ? 'would_stop' : 'stop')
    if (d.reason === 'superseded') checkSupersession(world, d, policy)
    else
      expect(
        inputsLiveAt(world, d.taskId, at(d), policy),
        `stopped with a live input: ${JSON.stringify(d)}`,
      ).toBe(false)
  }
  if (!policy.dryRun) {
    const perTask = new Map<string, number>()
    for (const d of stops) perTask.set(d.taskId, (perTask.get(d.taskId) ?? 0) + 1)
    for (const [taskId, n] of perTask) expect(n, `${taskId} stopped ${n} times`).toBe(1)
  }
  const superseded = new Set(world.supersessions.map((s) => s.older))
  for (const truth of world.tasks.values()) {
    if (
      truth.stoppedAt !== null ||
      superseded.has(truth.taskId) ||
      policy.pinnedTaskIds.includes(truth.taskId) ||
      excused(truth.taskId)
    )
      continue
    if (inputsLiveAt(world, truth.taskId, world.end, policy)) continue
    expect(
      stops.some((d) => d.taskId === truth.taskId),
      `${truth.taskId} orphaned but never stopped`,
    ).toBe(true)
  }
}
