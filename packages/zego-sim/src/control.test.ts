import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { createManualClock } from './clock.ts'
import { createSimulator, type Simulator } from './simulator.ts'

let sim: Simulator
const control = async (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', path: string, body?: unknown) => {
  const res = await request(new URL(`_sim${path}`, sim.url), {
    method,
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> & unknown[] }
}

beforeEach(async () => {
  sim = await createSimulator({ clock: createManualClock(0) })
})
afterEach(async () => {
  await sim.close()
})

describe('control surface', () => {
  it('creates apps, drives streams and mixes as a customer, advances the clock and shows the books', async () => {
    const app = await control('POST', '/apps', { appId: 8001, sequenceFencing: false })
    expect(app.json).toMatchObject({ appId: 8001, serverSecret: expect.stringMatching(/^[0-9a-f]{32}$/) })
    expect((await control('POST', '/apps', { appId: 8001 })).status).toBe(409)
    await control('POST', '/streams/publish', { appId: 8001, roomId: 'r', streamId: 's', userId: 'u' })
    const started = await control('POST', '/customer/start-mix', {
      appId: 8001,
      request: { TaskId: 't', UserId: 'm', MixInput: [{ StreamId: 's' }], MixOutput: [{ StreamId: 'o' }] },
    })
    expect(started.json).toMatchObject({ ok: true, zegoCode: 0 })
    await control('POST', '/streams/unpublish', { appId: 8001, streamId: 's', type: 4 })
    expect((await control('POST', '/clock/advance', { ms: 90_000 })).json).toEqual({ now: 90_000 })
    const ledger = await control('GET', '/ledger?appId=8001')
    expect(ledger.json).toMatchObject({
      tasks: [{ taskId: 't', endReason: 'idle', billedSec: 90, idleSec: 90 }],
    })
    const info = await control('POST', '/customer/get-mix-task-info', {
      appId: 8001,
      request: { TaskId: 't' },
    })
    expect(info.json).toMatchObject({ ok: false, zegoCode: 110209001, error: 'ZEGO_TASK_NOT_FOUND' })
    const calls = await control('GET', '/calls?action=GetMixTaskInfo')
    expect(calls.json).toHaveLength(1)
    expect((await control('GET', '/tasks')).json).toHaveLength(1)
  })

  it('changes switches and queues faults', async () => {
    const patched = await control('PATCH', '/switches', {
      api: { stopUnknownTask: 'not-found' },
      chaos: { dropFraction: 0.5 },
    })
    expect(patched.json).toMatchObject({
      api: { stopUnknownTask: 'not-found', ratePerSecond: 100 },
      chaos: { dropFraction: 0.5 },
    })
    expect(sim.switches.chaos.dropFraction).toBe(0.5)
    expect((await control('PATCH', '/switches', { api: { httpStatus: 'sometimes' } })).status).toBe(400)
    await control('POST', '/faults', { count: 2, action: 'StopMix' })
    expect((await control('GET', '/faults')).json).toEqual([
      { action: 'StopMix', kind: 'code', code: 110200001, httpStatus: 503, delayMs: 10000, remaining: 2 },
    ])
  })

  it('answers errors with a code and a status', async () => {
    const missing = await control('POST', '/streams/unpublish', { appId: 1, streamId: 'x' })
    expect(missing).toMatchObject({ status: 404, json: { error: { code: 'SIM_APP_NOT_FOUND' } } })
    const bad = await control('POST', '/streams/publish', { appId: 'one' })
    expect(bad).toMatchObject({ status: 400, json: { error: { code: 'SIM_BAD_REQUEST' } } })
  })

  it('runs a workload it generates from a seed (accelerated clock)', async () => {
    await sim.close()
    sim = await createSimulator({ scale: 10_000, apps: [{ appId: 8002 }] })
    const run = await control('POST', '/workloads', {
      appId: 8002,
      seed: 5,
      rooms: 3,
      durationSec: 300,
      wait: true,
    })
    expect(run.json).toMatchObject({ id: 1, status: 'done' })
    const outcomes = run.json.outcomes as unknown as { step: { do: string }; ok: boolean }[]
    expect(outcomes.filter((o) => o.step.do === 'startMix' && o.ok).length).toBeGreaterThanOrEqual(3)
    expect((await control('GET', '/scenarios/1')).json.status).toBe('done')
    expect(sim.ledger.tasks(sim.clock.now(), 8002).length).toBeGreaterThanOrEqual(3)
  })
})
