import { systemTimers } from '@mixguard/time'
import {
  createCallBudget,
  createZegoClient,
  retryZegoCall,
  type ZegoClientOptions,
  ZegoCode,
} from '@mixguard/zego-api'
import { createSimulator, type Simulator } from '@mixguard/zego-sim'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'

/**
 * zego-api against zego-sim over real HTTP: every error class the client knows is reached through a
 * real ZEGO-shaped answer and mapped, and the client's budget keeps a StopMix burst under ZEGO's limit.
 */

const APP = 9001
const RATE_APP = 9002
const BURST_APP = 9003
const SECRET = 'b1946ac92492d2347c6235b4d2611184'
let sim: Simulator

const client = (over: Partial<ZegoClientOptions> = {}) =>
  createZegoClient({ appId: APP, serverSecret: SECRET, baseUrl: sim.url, ...over })

beforeAll(async () => {
  // Separate AppIds for the rate tests: each AppId and Action has its own window.
  sim = await createSimulator({
    apps: [RATE_APP, BURST_APP, APP].map((appId) => ({ appId, serverSecret: SECRET })),
  })
  sim.actions.publish({ appId: APP, roomId: 'r1', streamId: 'host', userId: 'h' })
})
afterAll(async () => {
  await sim.close()
})
beforeEach(() => {
  sim.faults.clear()
  Object.assign(sim.switches.api, { ratePerSecond: 100, stopUnknownTask: 'ok', httpStatus: 'always-200' })
})

describe('error classes, from real simulator answers', () => {
  it('transient: 110200001 from an injected failure; a retrying client gets through', async () => {
    sim.faults.add({ appId: APP, action: 'StopMix', count: 2, code: ZegoCode.MixFailed })
    const once = await client().stopMix({ TaskId: 'x' })
    expect(once.ok).toBe(false)
    if (once.ok) return
    expect(once.error).toMatchObject({
      code: 'ZEGO_FAILED',
      errorClass: 'transient',
      retryable: true,
      zegoCode: ZegoCode.MixFailed,
      action: 'StopMix',
      httpStatus: 200,
    })
    expect(once.error.requestId).toMatch(/\S/)
    const zego = client()
    const { outcome: retried } = await retryZegoCall(() => zego.stopMix({ TaskId: 'x' }), {
      attempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 2,
      jitter: 'none',
      timers: systemTimers,
    })
    expect(retried.ok).toBe(true)
  })

  it('rate limited: each Action overload code maps to rate_limited with a retry-after', async () => {
    sim.switches.api.ratePerSecond = 2
    sim.actions.publish({ appId: RATE_APP, roomId: 'r1', streamId: 'host', userId: 'h' })
    const unlimited = client({ appId: RATE_APP, budget: createCallBudget({ ratePerSecond: 1_000 }) })
    const stops = await Promise.all([1, 2, 3].map(() => unlimited.stopMix({ TaskId: 'x' })))
    const infos = await Promise.all([1, 2, 3].map(() => unlimited.getMixTaskInfo({ TaskId: 'x' })))
    const starts = await Promise.all(
      [1, 2, 3].map(() =>
        unlimited.startMix({
          TaskId: 'rl',
          UserId: 'm',
          MixInput: [{ StreamId: 'host' }],
          MixOutput: [{ StreamId: 'o' }],
        }),
      ),
    )
    for (const [outcomes, code] of [
      [stops, ZegoCode.MixStopOverload],
      [infos, ZegoCode.MixOverload],
      [starts, ZegoCode.MixStartOverload],
    ] as const) {
      const limited = outcomes.flatMap((o) => (o.ok ? [] : [o.error])).filter((e) => e.zegoCode === code)
      expect(limited).toHaveLength(1)
      expect(limited[0]).toMatchObject({
        code: 'ZEGO_RATE_LIMITED',
        errorClass: 'rate_limited',
        retryable: true,
      })
      expect(limited[0]?.retryAfterMs).toBeGreaterThan(0)
    }
  })

  it('auth: a wrong secret is 100000005 (never retried), a skewed clock 100000004', async () => {
    const wrongSecret = client({ serverSecret: 'not-the-secret' })
    const { outcome: wrong } = await retryZegoCall(() => wrongSecret.stopMix({ TaskId: 'x' }), {
      attempts: 3,
      baseDelayMs: 1,
      maxDelayMs: 1,
      jitter: 'none',
      timers: systemTimers,
    })
    expect(wrong.ok ? undefined : wrong.error).toMatchObject({
      code: 'ZEGO_AUTH_FAILED',
      errorClass: 'auth',
      retryable: false,
      zegoCode: ZegoCode.SignatureInvalid,
    })
    const stop = sim.ledger.calls(APP).filter((c) => c.code === ZegoCode.SignatureInvalid)
    expect(stop).toHaveLength(1)
    const skewed = await client({ clock: { now: () => Date.now() - 11 * 60_000 } }).stopMix({ TaskId: 'x' })
    expect(skewed.ok ? undefined : skewed.error).toMatchObject({
      code: 'ZEGO_SIGNATURE_EXPIRED',
      errorClass: 'auth',
      zegoCode: ZegoCode.SignatureExpired,
    })
  })

  it('permanent: bad parameters, a missing input stream, a non-owner stop', async () => {
    const zego = client()
    const badId = await zego.startMix({
      TaskId: 'has space',
      UserId: 'm',
      MixInput: [{ StreamId: 'host' }],
      MixOutput: [{ StreamId: 'o' }],
    })
    expect(badId.ok ? undefined : badId.error).toMatchObject({
      code: 'ZEGO_REJECTED',
      errorClass: 'permanent',
      retryable: false,
      zegoCode: ZegoCode.MixBadParameter,
    })
    const missing = await zego.startMix({
      TaskId: 'p1',
      UserId: 'm',
      MixInput: [{ StreamId: 'nobody' }],
      MixOutput: [{ StreamId: 'o' }],
    })
    expect(missing.ok ? undefined : missing.error).toMatchObject({
      errorClass: 'permanent',
      zegoCode: ZegoCode.MixInputMissing,
    })
    sim.world.updateApp(APP, { taskOwnership: true })
    try {
      expect(
        (
          await zego.startMix({
            TaskId: 'own',
            UserId: 'owner',
            MixInput: [{ StreamId: 'host' }],
            MixOutput: [{ StreamId: 'own-o' }],
          })
        ).ok,
      ).toBe(true)
      const notOwner = await zego.stopMix({ TaskId: 'own', UserId: 'mixguard' })
      expect(notOwner.ok ? undefined : notOwner.error).toMatchObject({
        code: 'ZEGO_NOT_OWNER',
        errorClass: 'permanent',
        zegoCode: ZegoCode.MixNotOwner,
      })
      expect((await zego.stopMix({ TaskId: 'own', UserId: 'owner' })).ok).toBe(true)
    } finally {
      sim.world.updateApp(APP, { taskOwnership: false })
    }
  })

  it('task not found: GetMixTaskInfo on an unknown task, and StopMix when switched to answer so', async () => {
    const zego = client()
    const info = await zego.getMixTaskInfo({ TaskId: 'never-started' })
    expect(info.ok ? undefined : info.error).toMatchObject({
      code: 'ZEGO_TASK_NOT_FOUND',
      errorClass: 'task_not_found',
      retryable: false,
      zegoCode: ZegoCode.MixTaskNotFound,
    })
    expect((await zego.stopMix({ TaskId: 'never-started' })).ok).toBe(true)
    sim.switches.api.stopUnknownTask = 'not-found'
    const stop = await zego.stopMix({ TaskId: 'never-started' })
    expect(stop.ok ? undefined : stop.error.errorClass).toBe('task_not_found')
  })

  it('maps by Code even when the gateway uses HTTP status codes', async () => {
    sim.switches.api.httpStatus = 'by-class'
    const info = await client().getMixTaskInfo({ TaskId: 'never-started' })
    expect(info.ok ? undefined : info.error).toMatchObject({ errorClass: 'task_not_found', httpStatus: 404 })
    const auth = await client({ serverSecret: 'bad' }).stopMix({ TaskId: 'x' })
    expect(auth.ok ? undefined : auth.error).toMatchObject({ errorClass: 'auth', httpStatus: 401 })
  })
})

describe('a burst of 1,000 StopMix through an 80/s budget', () => {
  it(
    'draws no overload answer and no 1 s window (by receive time) above 80 calls',
    { timeout: 40_000 },
    async () => {
      const now = sim.clock.now()
      for (let i = 0; i < 1_000; i++) {
        const started = sim.world.startMix(
          BURST_APP,
          {
            taskId: `burst-${i}`,
            userId: `m-${i}`,
            inputs: [{ kind: 'url', url: `rtmp://cdn/in-${i}` }],
            outputs: [{ streamId: `burst-out-${i}`, url: undefined }],
          },
          now,
        )
        expect(started.ok).toBe(true)
      }
      const zego = client({ appId: BURST_APP, budget: createCallBudget({ ratePerSecond: 80 }) })
      const outcomes = await Promise.all(
        Array.from({ length: 1_000 }, (_, i) => zego.stopMix({ TaskId: `burst-${i}` })),
      )
      const calls = sim.ledger.calls(BURST_APP)
      expect(calls).toHaveLength(1_000)
      const overloads = calls.filter((c) => c.code === ZegoCode.MixStopOverload)
      const times = calls.map((c) => c.receivedAt).sort((a, b) => a - b)
      let busiest = 0
      for (let i = 0, j = 0; i < times.length; i++) {
        while ((times[j] as number) <= (times[i] as number) - 1_000) j++
        busiest = Math.max(busiest, i - j + 1)
      }
      expect({ overloads: overloads.length, busiestWindow: busiest }).toEqual({
        overloads: 0,
        busiestWindow: expect.any(Number),
      })
      expect(busiest).toBeLessThanOrEqual(80)
      expect(busiest).toBeGreaterThan(40)
      expect(outcomes.filter((o) => !o.ok)).toEqual([])
      expect(sim.world.tasks(BURST_APP).filter((t) => t.running)).toEqual([])
    },
  )
})
