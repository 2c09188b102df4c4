import type { Timers } from '@mixguard/time'
import { MockAgent } from 'undici'
import { afterEach, describe, expect, it } from 'vitest'
import type { CallBudget } from './budget.ts'
import { createZegoClient, type ZegoClientOptions } from './client.ts'
import { retryZegoCall, type ZegoRetryOptions } from './retry-outcome.ts'
import { requestSignature } from './sign.ts'

// retryZegoCall over a one-attempt client and undici's MockAgent: scripted ZEGO Codes in, the exact
// backoff schedule out.

const APP_ID = 4001
const SECRET = 'server-secret'
const TIMEOUT_MS = 60_000

const agents: MockAgent[] = []
afterEach(async () => {
  await Promise.all(agents.splice(0).map((agent) => agent.close()))
})

/** Backoff sleeps fire at once and are recorded; the per-call timeout (TIMEOUT_MS) never fires. */
function instantTimers(): Timers & { sleeps: number[] } {
  const sleeps: number[] = []
  return {
    sleeps,
    setTimeout(callback, ms) {
      if (ms === TIMEOUT_MS) return undefined
      sleeps.push(ms)
      return setImmediate(callback)
    },
    clearTimeout(handle) {
      if (handle !== undefined) clearImmediate(handle as NodeJS.Immediate)
    },
  }
}

function scripted(codes: number[]) {
  const agent = new MockAgent()
  agent.disableNetConnect()
  agents.push(agent)
  const paths: URL[] = []
  agent
    .get('https://rtc-api.zego.im')
    .intercept({ path: () => true, method: () => true })
    .reply((request) => {
      paths.push(new URL(request.path, 'https://rtc-api.zego.im'))
      const code = codes[Math.min(paths.length - 1, codes.length - 1)] ?? 0
      return {
        statusCode: 200,
        data: { Code: code, Message: code === 0 ? 'success' : 'scripted', RequestId: `r${paths.length}` },
      }
    })
    .persist()
  return { agent, paths }
}

function countingBudget(): CallBudget & { count: number } {
  const budget = {
    count: 0,
    limit: Number.POSITIVE_INFINITY,
    waiting: () => 0,
    acquire: async () => {
      budget.count += 1
      return () => {}
    },
  }
  return budget
}

type RetryOverrides = Partial<Pick<ZegoRetryOptions, 'attempts' | 'baseDelayMs' | 'maxDelayMs'>>

function setup(
  codes: number[],
  options: Partial<ZegoClientOptions> & { retry?: false | RetryOverrides } = {},
) {
  const { agent, paths } = scripted(codes)
  const timers = instantTimers()
  const budget = countingBudget()
  let now = 1_700_000_000_000
  const draws = [0.5, 0.9, 0.1, 0.99, 0]
  let draw = 0
  const { retry, ...clientOptions } = options
  const client = createZegoClient({
    appId: APP_ID,
    serverSecret: SECRET,
    dispatcher: agent,
    timers,
    budget,
    timeoutMs: TIMEOUT_MS,
    clock: {
      now: () => {
        now += 1000
        return now
      },
    },
    ...clientOptions,
  })
  const policy: ZegoRetryOptions = {
    attempts: 5,
    baseDelayMs: 100,
    maxDelayMs: 1000,
    jitter: 'full',
    timers,
    random: () => draws[draw++ % draws.length] as number,
    ...(retry === false ? { attempts: 1 } : retry),
  }
  const zego = {
    stopMix: async (request: { TaskId: string }) =>
      (await retryZegoCall(() => client.stopMix(request), policy)).outcome,
  }
  return { zego, client, paths, timers, budget }
}

describe('retries', () => {
  it('retries retryable errors with full-jitter exponential backoff, signing each attempt afresh', async () => {
    const { zego, paths, timers, budget } = setup([110200001, 110200151, 110200001, 100000015, 0])
    const outcome = await zego.stopMix({ TaskId: 't' })
    expect(outcome).toEqual({ ok: true, data: undefined, requestId: 'r5' })
    // caps 100·2^(n-1) = 100, 200, 400, 800; draws 0.5, 0.9, 0.1, 0.99
    expect(timers.sleeps).toEqual([50, 180, 40, 792])
    expect(paths).toHaveLength(5)
    expect(budget.count).toBe(5)
    const nonces = new Set(paths.map((p) => p.searchParams.get('SignatureNonce')))
    expect(nonces.size).toBe(5)
    const timestamps = paths.map((p) => Number(p.searchParams.get('Timestamp')))
    expect(new Set(timestamps).size).toBe(5)
    for (const p of paths) {
      const q = p.searchParams
      expect(q.get('Signature')).toBe(
        requestSignature(APP_ID, q.get('SignatureNonce') ?? '', SECRET, q.get('Timestamp') ?? ''),
      )
    }
  })

  it('caps each backoff at maxDelayMs', async () => {
    const { zego, timers } = setup([110200001, 110200001, 110200001, 0], {
      retry: { attempts: 4, baseDelayMs: 100, maxDelayMs: 250 },
    })
    expect((await zego.stopMix({ TaskId: 't' })).ok).toBe(true)
    // caps 100, 200, min(250, 400)
    expect(timers.sleeps).toEqual([50, 180, 25])
  })

  it('returns the last error once the attempts are spent', async () => {
    const { zego, paths, timers } = setup([110200001])
    const outcome = await zego.stopMix({ TaskId: 't' })
    expect(outcome).toMatchObject({
      ok: false,
      error: { code: 'ZEGO_FAILED', zegoCode: 110200001, requestId: 'r5' },
    })
    expect(paths).toHaveLength(5)
    expect(timers.sleeps).toEqual([50, 180, 40, 792])
  })

  it('waits at least retryAfterMs after a rate-limit answer', async () => {
    const { zego, timers } = setup([110200191, 110200191, 0])
    expect((await zego.stopMix({ TaskId: 't' })).ok).toBe(true)
    expect(timers.sleeps).toEqual([1000, 1000])
  })

  it('retries an expired signature exactly once', async () => {
    const { zego, paths } = setup([100000004], { retry: { attempts: 10, baseDelayMs: 0 } })
    const outcome = await zego.stopMix({ TaskId: 't' })
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ZEGO_SIGNATURE_EXPIRED' } })
    expect(paths).toHaveLength(2)
    expect(paths[0]?.searchParams.get('Timestamp')).not.toBe(paths[1]?.searchParams.get('Timestamp'))
  })

  it('retries a gateway internal error at most twice', async () => {
    const { zego, paths } = setup([100000015], { retry: { attempts: 10, baseDelayMs: 0 } })
    expect(await zego.stopMix({ TaskId: 't' })).toMatchObject({
      ok: false,
      error: { code: 'ZEGO_GATEWAY_INTERNAL' },
    })
    expect(paths).toHaveLength(3)
  })

  it.each([
    [110200002, 'ZEGO_REJECTED'],
    [110200003, 'ZEGO_AUTH_FAILED'],
    [110209001, 'ZEGO_TASK_NOT_FOUND'],
    [110200160, 'ZEGO_NOT_OWNER'],
    [987654, 'ZEGO_UNKNOWN_CODE'],
  ])('never retries %i (%s)', async (code, name) => {
    const { zego, paths, timers } = setup([code])
    expect(await zego.stopMix({ TaskId: 't' })).toMatchObject({
      ok: false,
      error: { code: name, zegoCode: code },
    })
    expect(paths).toHaveLength(1)
    expect(timers.sleeps).toEqual([])
  })

  it("the client alone makes one attempt: retries are the caller's", async () => {
    const { client, paths } = setup([110200001, 0])
    expect(await client.stopMix({ TaskId: 't' })).toMatchObject({ ok: false, error: { retryable: true } })
    expect(paths).toHaveLength(1)
  })

  it('refuses nonsense attempts', async () => {
    const { client } = setup([0])
    await expect(
      retryZegoCall(() => client.stopMix({ TaskId: 't' }), {
        attempts: 0,
        baseDelayMs: 1,
        maxDelayMs: 1,
        jitter: 'none',
        timers: instantTimers(),
      }),
    ).rejects.toThrow(RangeError)
  })

  it('stops during a backoff when the caller aborts', async () => {
    const { agent, paths } = scripted([110200001])
    const controller = new AbortController()
    const timers: Timers = {
      setTimeout(_callback, ms) {
        if (ms !== TIMEOUT_MS) queueMicrotask(() => controller.abort())
        return undefined
      },
      clearTimeout() {},
    }
    const zego = createZegoClient({
      appId: APP_ID,
      serverSecret: SECRET,
      dispatcher: agent,
      timeoutMs: TIMEOUT_MS,
      timers,
    })
    const { outcome } = await retryZegoCall(
      () => zego.stopMix({ TaskId: 't' }, { signal: controller.signal }),
      {
        attempts: 5,
        baseDelayMs: 10_000,
        maxDelayMs: 10_000,
        jitter: 'full',
        random: () => 0.5,
        timers,
        signal: controller.signal,
      },
    )
    expect(outcome).toMatchObject({ ok: false, error: { code: 'ZEGO_ABORTED' } })
    expect(paths).toHaveLength(1)
  })
})
