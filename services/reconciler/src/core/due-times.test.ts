import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { dueBy, earliestDue, emptyDueTimes, setDueTime } from './due-times.ts'

/** What the heap stands for: every task's time in a map, scanned. */
const scanDueBy = (times: Map<string, number>, now: number): string[] =>
  [...times].filter(([, time]) => time <= now).map(([taskId]) => taskId)
const scanEarliest = (times: Map<string, number>): number | null =>
  times.size === 0 ? null : Math.min(...times.values())

type Step =
  | { kind: 'set'; taskId: string; time: number | null }
  | { kind: 'due'; now: number }
  | { kind: 'earliest' }

// Few tasks and few times: a task's time goes back to one it had, ties and removals are common, and
// runs of writes leave enough dropped entries for the heap to rebuild itself.
const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constant('set' as const),
      taskId: fc.constantFrom('t0', 't1', 't2', 't3', 't4', 't5', 't6', 't7'),
      time: fc.option(fc.integer({ min: 0, max: 20 }), { freq: 5 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('due' as const), now: fc.integer({ min: -1, max: 21 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('earliest' as const) }) },
)

describe('due times', () => {
  it('give the tasks due and the earliest time a scan of every task gives, whatever the writes', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 400 }), (steps) => {
        const due = emptyDueTimes()
        const model = new Map<string, number>()
        for (const s of steps) {
          if (s.kind === 'set') {
            setDueTime(due, s.taskId, s.time)
            if (s.time === null) model.delete(s.taskId)
            else model.set(s.taskId, s.time)
          } else if (s.kind === 'due') {
            expect(dueBy(due, s.now).sort()).toEqual(scanDueBy(model, s.now).sort())
          } else {
            expect(earliestDue(due)).toBe(scanEarliest(model))
          }
        }
        expect(earliestDue(due)).toBe(scanEarliest(model))
        expect(dueBy(due, 20).sort()).toEqual(scanDueBy(model, 20).sort())
      }),
      { numRuns: 1000 },
    )
  })

  it('keep a due task due until a write gives it another time', () => {
    const due = emptyDueTimes()
    setDueTime(due, 'a', 5)
    setDueTime(due, 'b', 9)
    expect(dueBy(due, 6)).toEqual(['a'])
    expect(dueBy(due, 6)).toEqual(['a'])
    setDueTime(due, 'a', 12)
    expect(dueBy(due, 10)).toEqual(['b'])
    expect(earliestDue(due)).toBe(9)
  })
})
