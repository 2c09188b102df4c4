import { describe, expect, it } from 'vitest'
import { createManualClock, createScaledClock, sleepSim } from './clock.ts'

describe('manual clock', () => {
  it('fires due timers in order, each at its own time, including timers set while firing', () => {
    const clock = createManualClock(1_000)
    const fired: [string, number][] = []
    clock.setTimer(300, () => fired.push(['c', clock.now()]))
    clock.setTimer(100, () => {
      fired.push(['a', clock.now()])
      clock.setTimer(50, () => fired.push(['a+50', clock.now()]))
    })
    const cancelled = clock.setTimer(200, () => fired.push(['never', clock.now()]))
    clock.clearTimer(cancelled)
    clock.advance(250)
    expect(fired).toEqual([
      ['a', 1_100],
      ['a+50', 1_150],
    ])
    expect(clock.now()).toBe(1_250)
    expect(clock.nextDueAt()).toBe(1_300)
    clock.advanceTo(2_000)
    expect(fired.at(-1)).toEqual(['c', 1_300])
    expect(clock.pendingTimers()).toBe(0)
  })

  it('resolves sleepSim only when time is advanced', async () => {
    const clock = createManualClock(0)
    let done = false
    const slept = sleepSim(clock, 5_000).then(() => {
      done = true
    })
    clock.advance(4_999)
    await Promise.resolve()
    expect(done).toBe(false)
    clock.advance(1)
    await slept
    expect(done).toBe(true)
  })
})

describe('scaled clock', () => {
  it('moves simulated time `scale` times faster than the monotonic source', () => {
    let real = 10
    const clock = createScaledClock({ scale: 200, startMs: 1_000_000, monotonic: () => real })
    real += 450
    expect(clock.now()).toBe(1_000_000 + 90_000)
    expect(clock.scale).toBe(200)
  })

  it('fires a timer once simulated time has arrived', async () => {
    const clock = createScaledClock({ scale: 1_000 })
    const dueAt = clock.now() + 90_000
    const firedAt = await new Promise<number>((resolve) => clock.setTimer(90_000, () => resolve(clock.now())))
    expect(firedAt).toBeGreaterThanOrEqual(dueAt)
    clock.dispose()
  })

  it('rejects a scale that is not positive', () => {
    expect(() => createScaledClock({ scale: 0 })).toThrow(RangeError)
  })
})
