import { describe, expect, it } from 'vitest'
import { decide } from './decide.ts'
import { parseAppState } from './model.ts'
import { storedState } from './stored-state.ts'
import { bucketOf, tkeys } from './table.ts'
import { closed, created, driver, startMix, T0 } from './test-kit.ts'

/** Ten tasks in five rooms (two initiators in each), their inputs closed unless `open`: every orphan deadline armed. */
function busy(open = false) {
  const d = driver()
  for (let i = 0; i < 10; i++) {
    const at = T0 + i * 1_000
    const roomId = `r${i % 5}`
    d.event(created({ streamId: `s${i}`, roomId, at, seq: i + 1 }))
    d.event(startMix({ taskId: `task-${i}`, at: at + 100, roomId, userId: `u${i}`, inputs: [`s${i}`] }))
  }
  if (!open)
    for (let i = 0; i < 10; i++)
      d.event(closed({ streamId: `s${i}`, roomId: `r${i % 5}`, at: T0 + 20_000, seq: 20 + i }))
  return d
}

describe('the stored state', () => {
  it('keeps the tasks flat, TaskId → task, as the versions before the task buckets wrote and read them', () => {
    const { state } = busy()
    const stored = JSON.parse(JSON.stringify(storedState(state)))
    expect(Object.keys(stored.tasks).sort()).toEqual(tkeys(state.tasks).sort())
    expect(Object.keys(stored.tasks)).toHaveLength(10)
    for (const [taskId, task] of Object.entries(stored.tasks))
      expect(task).toMatchObject({ taskId, phase: 'running' })
    // Streams and rooms keep their buckets, named as before.
    expect(Object.keys(stored.streams).every((name) => /^b\d+$/.test(name))).toBe(true)
    expect(stored.streams[bucketOf('s3')].s3.streamId).toBe('s3')
  })

  it('restores to the same state, which decides the same from there on', () => {
    const d = busy()
    const restored = parseAppState(JSON.parse(JSON.stringify(storedState(d.state))))
    expect(restored).toEqual(d.state)
    if (restored === null) return
    const later = T0 + 3_600_000
    const policy = d.policy
    expect(decide(restored, { kind: 'tick' }, later, policy)).toEqual(
      decide(d.state, { kind: 'tick' }, later, policy),
    )
    expect(decide(restored, { kind: 'tick' }, later, policy).decisions).toHaveLength(5)
  })

  it('an input that writes one task copies its bucket, not the others', () => {
    const d = busy(true)
    d.event(created({ streamId: 'new', roomId: 'r-new', at: T0 + 15_000, seq: 1 }))
    const before = d.state
    d.event(
      startMix({ taskId: 'task-new', at: T0 + 15_100, roomId: 'r-new', userId: 'u-new', inputs: ['new'] }),
    )
    expect(tkeys(d.state.tasks)).toHaveLength(11)
    const written = bucketOf('task-new')
    for (const name of Object.keys(before.tasks)) {
      if (name === written) expect(d.state.tasks[name]).not.toBe(before.tasks[name])
      else expect(d.state.tasks[name]).toBe(before.tasks[name])
    }
  })
})
