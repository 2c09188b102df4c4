import { describe, expect, it } from 'vitest'
import { createManualTime } from './manual-time.ts'

describe('createManualTime', () => {
  it('fires due timers in order of due time, then of creation, each at its own time', () => {
    const time = createManualTime(1_000)
    const fired: string[] = []
    const at = (name: string) => () => fired.push(`${name}@${time.clock.now()}`)
    time.timers.setTimeout(at('late'), 300)
    time.timers.setTimeout(at('a'), 100)
    time.timers.setTimeout(at('b'), 100)
    const cancelled = time.timers.setTimeout(at('cancelled'), 50)
    time.timers.clearTimeout(cancelled)
    expect(time.nextDueAt()).toBe(1_100)
    time.advanceSync(200)
    expect(fired).toEqual(['a@1100', 'b@1100'])
    expect(time.clock.now()).toBe(1_200)
    time.advanceTo(1_300)
    expect(fired).toEqual(['a@1100', 'b@1100', 'late@1300'])
    expect(time.pendingTimers()).toBe(0)
  })

  it('advance lets promise reactions schedule the next timer inside the same window', async () => {
    const time = createManualTime(0)
    const wake = (ms: number) => new Promise<void>((resolve) => time.timers.setTimeout(resolve, ms))
    const stamps: number[] = []
    void (async () => {
      for (let i = 0; i < 3; i++) {
        await wake(100)
        stamps.push(time.clock.now())
      }
    })()
    await time.advance(1_000)
    expect(stamps).toEqual([100, 200, 300])
    expect(time.clock.now()).toBe(1_000)
  })

  it('clearAll cancels every pending timer', () => {
    const time = createManualTime()
    let fired = false
    time.timers.setTimeout(() => {
      fired = true
    }, 1)
    time.clearAll()
    time.advanceSync(10)
    expect(fired).toBe(false)
  })
})
