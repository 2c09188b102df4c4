import { createManualTime } from '@mixguard/time'
import { describe, expect, it } from 'vitest'
import { MAX_SAVE_DELAY_MS, SAVE_TIME_SHARE, SaveCoalescer } from './save-coalescer.ts'

const DELAY_MS = 1_000

/** A coalescer whose saves take `took()` ms of the manual clock; when they started, how long they took. */
function coalescer(took: () => number) {
  const time = createManualTime(0)
  const startedAt: number[] = []
  const tookMs: number[] = []
  const saves = new SaveCoalescer({
    onSaved: (ms) => tookMs.push(ms),
    clock: time.clock,
    timers: time.timers,
    delayMs: DELAY_MS,
    savePartition: async (partition) => {
      startedAt.push(time.clock.now())
      saves.clear(partition)
      time.advanceSync(took())
    },
  })
  return { time, saves, startedAt, tookMs }
}

describe('the coalesced save', () => {
  it('goes its delay after the first change, one save for every change meanwhile', async () => {
    const { time, saves, startedAt } = coalescer(() => 20)
    saves.mark(0, 1)
    await time.advance(500)
    saves.mark(0, 2)
    await time.advance(499)
    expect(startedAt).toEqual([])
    await time.advance(1)
    expect(startedAt).toEqual([1_000])
    saves.mark(0, 1)
    await time.advance(DELAY_MS)
    expect(startedAt).toEqual([1_000, 2_020])
  })

  it(`waits ${SAVE_TIME_SHARE}× as long as the last save took when that is longer than its delay`, async () => {
    // A large app's encode is long: saving it every second would spend a third of the time there.
    let took = 300
    const { time, saves, startedAt, tookMs } = coalescer(() => took)
    saves.mark(0, 1)
    await time.advance(DELAY_MS)
    expect(startedAt).toEqual([1_000])
    saves.mark(0, 1) // at 1,300, once the save is done
    await time.advance(SAVE_TIME_SHARE * 300 - 1)
    expect(startedAt).toEqual([1_000])
    took = 10
    await time.advance(1)
    expect(startedAt).toEqual([1_000, 4_300])
    // A quick save again: back to the delay.
    saves.mark(0, 1)
    await time.advance(DELAY_MS)
    expect(startedAt).toEqual([1_000, 4_300, 5_310])
    expect(tookMs).toEqual([300, 10, 10])
  })

  it(`never waits more than ${MAX_SAVE_DELAY_MS / 1000} s`, async () => {
    const { time, saves, startedAt } = coalescer(() => MAX_SAVE_DELAY_MS)
    saves.mark(0, 1)
    await time.advance(DELAY_MS)
    saves.mark(0, 1)
    await time.advance(MAX_SAVE_DELAY_MS)
    expect(startedAt).toEqual([DELAY_MS, DELAY_MS + 2 * MAX_SAVE_DELAY_MS])
  })
})
