import { describe, expect, it } from 'vitest'
import type { Timers } from './clock.ts'
import { createManualTime } from './manual-time.ts'
import { backoffDelay, retry } from './retry.ts'

class Failure extends Error {
  readonly code: string
  readonly retryable: boolean
  constructor(code: string, retryable: boolean, extra: { retryAfterMs?: number; maxRetries?: number } = {}) {
    super(code)
    this.code = code
    this.retryable = retryable
    Object.assign(this, extra)
  }
}

/** Backoff sleeps fire at once and are recorded. */
function instantTimers(): Timers & { sleeps: number[] } {
  const sleeps: number[] = []
  return {
    sleeps,
    setTimeout(callback, ms) {
      sleeps.push(ms)
      return setImmediate(callback)
    },
    clearTimeout: (handle) => clearImmediate(handle as NodeJS.Immediate),
  }
}

/** An attempt that throws the scripted failures in order, then resolves with the attempt number. */
function scripted(failures: Failure[]) {
  const attempts: number[] = []
  const run = async (n: number): Promise<number> => {
    attempts.push(n)
    const failure = failures[n - 1]
    if (failure !== undefined) throw failure
    return n
  }
  return { run, attempts }
}

const draws = (values: number[]) => {
  let i = 0
  return () => values[i++ % values.length] as number
}
const backoff = { baseDelayMs: 100, maxDelayMs: 1000, jitter: 'full' as const }
const failed = () => new Failure('FAILED', true)

describe('backoffDelay', () => {
  it('doubles the cap per retry up to the maximum; full jitter draws below it', () => {
    const none = { ...backoff, jitter: 'none' as const }
    expect([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(none, n))).toEqual([100, 200, 400, 800, 1000, 1000])
    expect(backoffDelay(backoff, 3, () => 0.5)).toBe(200)
    expect(() => backoffDelay(backoff, 1)).toThrow(TypeError)
  })
})

describe('retry', () => {
  it('retries retryable failures with full-jitter exponential backoff', async () => {
    const { run, attempts } = scripted([failed(), failed(), failed(), failed()])
    const timers = instantTimers()
    const result = await retry(run, { ...backoff, attempts: 5, timers, random: draws([0.5, 0.9, 0.1, 0.99]) })
    expect(result).toBe(5)
    expect(attempts).toEqual([1, 2, 3, 4, 5])
    // caps 100, 200, 400, 800
    expect(timers.sleeps).toEqual([50, 180, 40, 792])
  })

  it('rejects with the last error once the attempts are spent', async () => {
    const last = failed()
    const { run, attempts } = scripted([failed(), failed(), last])
    const timers = instantTimers()
    await expect(retry(run, { ...backoff, attempts: 3, timers, random: () => 0 })).rejects.toBe(last)
    expect(attempts).toHaveLength(3)
  })

  it('never retries an error that is not retryable (nor one that does not say)', async () => {
    for (const error of [new Failure('REJECTED', false), new Error('plain')]) {
      const attempts: number[] = []
      const timers = instantTimers()
      const run = async (n: number) => {
        attempts.push(n)
        throw error
      }
      await expect(retry(run, { ...backoff, attempts: 5, timers, random: () => 0 })).rejects.toBe(error)
      expect(attempts).toEqual([1])
      expect(timers.sleeps).toEqual([])
    }
  })

  it("waits at least the error's retryAfterMs and the caller's minDelayMs", async () => {
    const limited = () => new Failure('LIMITED', true, { retryAfterMs: 1000 })
    const { run } = scripted([limited(), failed(), failed()])
    const timers = instantTimers()
    await retry(run, { ...backoff, attempts: 5, timers, random: () => 0.5, minDelayMs: 150 })
    expect(timers.sleeps).toEqual([1000, 150, 200])
  })

  it("honours an error's maxRetries per code", async () => {
    const expired = () => new Failure('EXPIRED', true, { maxRetries: 1 })
    const { run, attempts } = scripted([expired(), failed(), expired(), failed()])
    const timers = instantTimers()
    await expect(retry(run, { ...backoff, attempts: 10, timers, random: () => 0 })).rejects.toMatchObject({
      code: 'EXPIRED',
    })
    expect(attempts).toEqual([1, 2, 3])
  })

  it('asks the caller when a classifier is given, and awaits onRetry before each backoff', async () => {
    const { run } = scripted([new Failure('X', false), new Failure('X', false)])
    const timers = instantTimers()
    const seen: string[] = []
    await retry(run, {
      baseDelayMs: 10,
      maxDelayMs: 10,
      jitter: 'none',
      attempts: Number.POSITIVE_INFINITY,
      timers,
      retryable: () => true,
      onRetry: async (_error, attempt, delayMs) => {
        await Promise.resolve()
        seen.push(`${attempt}:${delayMs}:${timers.sleeps.length}`)
      },
    })
    expect(seen).toEqual(['1:10:0', '2:10:1'])
  })

  it('stops during a backoff when the signal aborts, with the signal’s reason', async () => {
    const time = createManualTime(0)
    const controller = new AbortController()
    const { run, attempts } = scripted([failed(), failed()])
    const running = retry(run, {
      ...backoff,
      attempts: 5,
      timers: time.timers,
      random: () => 0.5,
      signal: controller.signal,
    })
    running.catch(() => {})
    await time.settle()
    expect(time.pendingTimers()).toBe(1)
    controller.abort(new Error('stopping'))
    await expect(running).rejects.toThrow('stopping')
    expect(attempts).toEqual([1])
    expect(time.pendingTimers()).toBe(0)
  })

  it('refuses nonsense attempts', async () => {
    const timers = instantTimers()
    await expect(retry(async () => 1, { ...backoff, attempts: 0, timers, random: () => 0 })).rejects.toThrow(
      RangeError,
    )
  })
})
