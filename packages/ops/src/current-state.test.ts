import { expect, it } from 'vitest'
import { describeCurrentState } from './current-state.ts'

const status = (owned: boolean) => ({
  now: 1_000,
  apps: [
    {
      appId: 4001,
      owned,
      tasks: [
        {
          taskId: 't',
          phase: 'running',
          inputs: [{ ref: 'a', live: false }],
          supersededBy: null,
          problem: null,
        },
      ],
      deadlines: [{ taskId: 't', what: 'stop (orphan grace)', at: 11_000 }],
    },
  ],
})

it('says what the reconciler holds about a task now, or why it cannot', () => {
  expect(describeCurrentState(status(true), 4001, 't', 'R')).toBe(
    'Now, per R: running; inputs a gone; armed: stop (orphan grace) at 1970-01-01T00:00:11.000Z (10 s from now).',
  )
  expect(describeCurrentState(status(true), 4001, 'x', 'R')).toMatch(/holds no running task x/)
  expect(describeCurrentState(status(false), 4001, 't', 'R')).toMatch(/does not own app 4001/)
  expect(describeCurrentState(status(true), 4002, 't', 'R')).toMatch(/does not serve app 4002/)
  expect(describeCurrentState({ hello: 1 }, 4001, 't', 'R')).toMatch(/not a reconciler status/)
})
