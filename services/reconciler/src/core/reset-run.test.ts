import { describe, expect, it } from 'vitest'
import { openDraft, resetRun, writableTask } from './draft.ts'
import { emptyState } from './model.ts'
import { APP } from './test-kit.ts'

// What a task keeps from one run to the next: who it is and its life so far. Every other field belongs
// to a run. newTask spells the fields out for speed and resetRun assigns them again, so a field added to
// one and not the other would let a new run inherit the last run's value: this test ties the two.
const KEPT = ['taskId', 'auto', 'roomId', 'userId', 'lastStart', 'lastStop', 'run', 'phase', 'touchedAt']

describe('resetRun', () => {
  it("gives every field of a run the value a task never seen has, and keeps the task's own", () => {
    const fresh = writableTask(openDraft(emptyState(APP)), 't1', 1_000) as unknown as Record<string, unknown>
    const task: Record<string, unknown> = {}
    for (const key of Object.keys(fresh)) task[key] = { left: key }
    resetRun(task as never)
    expect(Object.keys(task)).toEqual(Object.keys(fresh))
    for (const key of Object.keys(fresh)) {
      if (KEPT.includes(key)) expect(task[key], key).toEqual({ left: key })
      else expect(task[key], key).toEqual(fresh[key])
    }
  })
})
