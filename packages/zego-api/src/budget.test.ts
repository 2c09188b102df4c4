import { createManualTime } from '@mixguard/time'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { createCallBudget, type Lane } from './budget.ts'

/** Most calls in any half-open window [t, t + width) over sorted times. */
function busiestWindow(times: number[], width: number): number {
  const sorted = [...times].sort((a, b) => a - b)
  let best = 0
  let start = 0
  for (let end = 0; end < sorted.length; end += 1) {
    while ((sorted[end] as number) - (sorted[start] as number) >= width) start += 1
    best = Math.max(best, end - start + 1)
  }
  return best
}

function setup(options: { ratePerSecond?: number; windowMs?: number; guardMs?: number } = {}) {
  const time = createManualTime(1_000_000)
  const budget = createCallBudget({ ...options, clock: time.clock, timers: time.timers })
  const granted: { id: string; at: number }[] = []
  // Each call's answer comes back at once: the slot is released at its grant time.
  const take = (id: string, lane?: Lane, appId = 1, signal?: AbortSignal): Promise<void> => {
    const p = budget.acquire(appId, lane, signal).then((release) => {
      granted.push({ id, at: time.clock.now() })
      release()
    })
    p.catch(() => {})
    return p
  }
  return { time, budget, granted, take }
}

describe('createCallBudget', () => {
  it('lets the first `limit` calls go at once and spaces the rest by window + guard', async () => {
    const { time, granted, take } = setup({ ratePerSecond: 5, guardMs: 20 })
    for (let i = 0; i < 12; i += 1) void take(`c${i}`)
    await time.settle()
    expect(granted.map((g) => g.at - 1_000_000)).toEqual([0, 0, 0, 0, 0])
    await time.advance(1019)
    expect(granted).toHaveLength(5)
    await time.advance(1)
    expect(granted).toHaveLength(10)
    await time.advance(5000)
    expect(granted.map((g) => g.at - 1_000_000)).toEqual([
      0, 0, 0, 0, 0, 1020, 1020, 1020, 1020, 1020, 2040, 2040,
    ])
    expect(granted.map((g) => g.id)).toEqual(Array.from({ length: 12 }, (_, i) => `c${i}`))
  })

  it('counts a slot from its release: a call still out holds its slot', async () => {
    const time = createManualTime(0)
    const budget = createCallBudget({ ratePerSecond: 2, guardMs: 0, clock: time.clock, timers: time.timers })
    const first = await budget.acquire(1)
    await budget.acquire(1)
    let third = false
    void budget.acquire(1).then(() => {
      third = true
    })
    await time.advance(5000)
    expect(third).toBe(false)
    first()
    await time.advance(999)
    expect(third).toBe(false)
    await time.advance(1)
    expect(third).toBe(true)
  })

  it('at the default 80/s never lets more than 80 calls into any 1020 ms window', async () => {
    const { time, budget, granted, take } = setup()
    expect(budget.limit).toBe(80)
    for (let i = 0; i < 500; i += 1) void take(`c${i}`)
    for (let step = 0; step < 80; step += 1) await time.advance(97)
    expect(granted).toHaveLength(500)
    expect(
      busiestWindow(
        granted.map((g) => g.at),
        1020,
      ),
    ).toBe(80)
    expect(
      busiestWindow(
        granted.map((g) => g.at),
        1021,
      ),
    ).toBeGreaterThan(80)
  })

  it('keeps every window within the limit for any arrivals, even after ZEGO-side jitter up to the guard', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.tuple(
            fc.integer({ min: 0, max: 400 }),
            fc.constantFrom<Lane>('urgent', 'normal', 'background', 'idle'),
          ),
          {
            minLength: 1,
            maxLength: 60,
          },
        ),
        fc.integer({ min: 1, max: 6 }),
        fc.infiniteStream(fc.integer({ min: 0, max: 20 })),
        async (arrivals, rate, jitter) => {
          const { time, granted, take } = setup({ ratePerSecond: rate, windowMs: 1000, guardMs: 20 })
          for (const [i, [gap, lane]] of arrivals.entries()) {
            await time.advance(gap)
            void take(`c${i}`, lane)
          }
          for (let step = 0; step < 80 && granted.length < arrivals.length; step += 1) await time.advance(500)
          expect(granted).toHaveLength(arrivals.length)
          const sent = granted.map((g) => g.at)
          expect(busiestWindow(sent, 1020)).toBeLessThanOrEqual(rate)
          const arrived = sent.map((at) => at + (jitter.next().value as number))
          expect(busiestWindow(arrived, 1000)).toBeLessThanOrEqual(rate)
        },
      ),
      { numRuns: 60 },
    )
  })

  it('serves higher lanes first and each lane in arrival order', async () => {
    const { time, granted, take } = setup({ ratePerSecond: 1, guardMs: 0 })
    void take('first')
    void take('i1', 'idle')
    void take('b1', 'background')
    void take('n1', 'normal')
    void take('u1', 'urgent')
    void take('n2')
    void take('u2', 'urgent')
    void take('b2', 'background')
    for (let i = 0; i < 8; i += 1) await time.advance(1000)
    expect(granted.map((g) => g.id)).toEqual(['first', 'u1', 'u2', 'n1', 'n2', 'b1', 'b2', 'i1'])
  })

  it('lets an urgent call that arrives later overtake waiting lower lanes', async () => {
    const { time, granted, take } = setup({ ratePerSecond: 1, guardMs: 0 })
    void take('first')
    void take('n1')
    void take('b1', 'background')
    await time.advance(500)
    void take('u1', 'urgent')
    await time.advance(500)
    expect(granted.map((g) => g.id)).toEqual(['first', 'u1'])
  })

  it('counts each AppId on its own', async () => {
    const { time, granted, take } = setup({ ratePerSecond: 2 })
    void take('a1', 'normal', 1)
    void take('a2', 'normal', 1)
    void take('a3', 'normal', 1)
    void take('b1', 'normal', 2)
    void take('b2', 'normal', 2)
    await time.settle()
    expect(granted.map((g) => g.id)).toEqual(['a1', 'a2', 'b1', 'b2'])
  })

  it('rejects an aborted wait with the signal reason, frees its place and leaves no timer behind', async () => {
    const { time, budget, granted, take } = setup({ ratePerSecond: 1, guardMs: 0 })
    void take('first')
    const controller = new AbortController()
    const waiting = take('aborted', 'urgent', 1, controller.signal)
    void take('n1')
    expect(budget.waiting(1)).toBe(2)
    const reason = new Error('caller gave up')
    controller.abort(reason)
    await expect(waiting).rejects.toBe(reason)
    expect(budget.waiting(1)).toBe(1)
    await time.advance(1000)
    expect(granted.map((g) => g.id)).toEqual(['first', 'n1'])
    expect(time.pendingTimers()).toBe(0)
  })

  it('clears its timer when the last waiter aborts', async () => {
    const { time, take } = setup({ ratePerSecond: 1 })
    void take('first')
    const controller = new AbortController()
    const waiting = take('w', 'normal', 1, controller.signal)
    await time.settle()
    expect(time.pendingTimers()).toBe(1)
    controller.abort()
    await expect(waiting).rejects.toMatchObject({ name: 'AbortError' })
    expect(time.pendingTimers()).toBe(0)
  })

  it('rejects at once, taking no slot, when the signal has already aborted', async () => {
    const { time, granted, take } = setup({ ratePerSecond: 1 })
    await expect(take('x', 'normal', 1, AbortSignal.abort())).rejects.toMatchObject({ name: 'AbortError' })
    void take('y')
    await time.settle()
    expect(granted.map((g) => g.id)).toEqual(['y'])
  })

  it('supports windows other than one second (1 call per 10 s)', async () => {
    const { time, budget, granted, take } = setup({ ratePerSecond: 0.1, windowMs: 10_000, guardMs: 0 })
    expect(budget.limit).toBe(1)
    void take('a')
    void take('b')
    await time.advance(9_999)
    expect(granted).toHaveLength(1)
    await time.advance(1)
    expect(granted).toHaveLength(2)
  })

  it('refuses a rate that does not give a whole number of calls per window', () => {
    expect(() => createCallBudget({ ratePerSecond: 0.5 })).toThrow(RangeError)
    expect(() => createCallBudget({ ratePerSecond: 0 })).toThrow(RangeError)
    expect(() => createCallBudget({ guardMs: -1 })).toThrow(RangeError)
  })

  it('forgets quiet apps but still remembers recent calls', async () => {
    const { time, granted, take } = setup({ ratePerSecond: 1, guardMs: 0 })
    void take('a1', 'normal', 1)
    await time.advance(1500)
    void take('b1', 'normal', 2) // sweeps: app 1 has been quiet for more than a window
    void take('a2', 'normal', 1)
    void take('a3', 'normal', 1)
    await time.settle()
    expect(granted.map((g) => g.id)).toEqual(['a1', 'b1', 'a2'])
  })
})
