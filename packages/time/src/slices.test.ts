import { describe, expect, it } from 'vitest'
import { runInSlices } from './slices.ts'

/** Holds the thread for `ms`, as a step of real work does. */
function busy(ms: number): void {
  const until = performance.now() + ms
  while (performance.now() < until);
}

/** `count` steps of `ms` each, noting in `log` when each ran; returns how many ran. */
function* work(count: number, ms: number, log: string[]): Generator<void, number, void> {
  for (let i = 0; i < count; i++) {
    busy(ms)
    log.push(`step ${i}`)
    yield
  }
  return count
}

describe('runInSlices', () => {
  it('runs every step and returns what the steps return', async () => {
    const log: string[] = []
    await expect(runInSlices(work(5, 0, log), 10)).resolves.toBe(5)
    expect(log).toEqual(['step 0', 'step 1', 'step 2', 'step 3', 'step 4'])
  })

  it('lets a timer that came due run between slices, not after the whole work', async () => {
    const log: string[] = []
    setTimeout(() => log.push('timer'), 0)
    // 20 steps of 2 ms in slices of 5 ms (three steps): a timer due at the start runs within two
    // slices (a turn that starts from the check phase reaches the timers on the next one).
    await runInSlices(work(20, 2, log), 5)
    const at = log.indexOf('timer')
    expect(at).toBeGreaterThan(0)
    expect(at).toBeLessThanOrEqual(6)
    expect(log).toHaveLength(21)
  })

  it('holds the loop while a slice lasts: short work runs in one go', async () => {
    const log: string[] = []
    setTimeout(() => log.push('timer'), 0)
    await runInSlices(work(20, 0.1, log), 10_000)
    expect(log).toHaveLength(20)
    expect(log).not.toContain('timer')
  })
})
