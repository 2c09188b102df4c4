import { verifyCallbackSignature } from '@mixguard/zego-api'
import { afterEach, describe, expect, it } from 'vitest'
import type { ChaosSwitches, Delivery } from './callbacks.ts'
import { createManualClock, type ManualClock } from './clock.ts'
import { createSimulator, type Simulator } from './simulator.ts'
import { type Receiver, startReceiver } from './test-support.ts'

const APP = 6001
const CB_SECRET = 'callback-secret-6001'

let sim: Simulator
let clock: ManualClock
let receiver: Receiver

async function setUp(
  options: {
    status?: (n: number) => number
    chaos?: Partial<ChaosSwitches>
    form?: boolean
    seed?: number
  } = {},
) {
  receiver = await startReceiver(options.status)
  clock = createManualClock()
  sim = await createSimulator({
    clock,
    seed: options.seed ?? 7,
    chaos: options.chaos,
    apps: [
      {
        appId: APP,
        callbackSecret: CB_SECRET,
        callbackUrl: receiver.url,
        callbackEncoding: options.form ? 'form' : 'json',
      },
    ],
  })
}

afterEach(async () => {
  await sim?.close()
  await receiver?.close()
})

/** Publish, mix, stop, unpublish, close: one of each of the five callbacks. */
async function lifeOfARoom(): Promise<void> {
  sim.actions.publish({ appId: APP, roomId: 'r-7', streamId: 's-1', userId: 'u-1', userName: 'alice' })
  const started = await sim.customer.client(APP).startMix({
    TaskId: 'mix-r7',
    UserId: 'svc-mixer',
    RoomId: 'r-7',
    MixInput: [{ StreamId: 's-1' }],
    MixOutput: [{ StreamId: 'mix-r7-out' }],
  })
  expect(started.ok).toBe(true)
  clock.advance(5_000)
  const stopped = await sim.customer.client(APP).stopMix({ TaskId: 'mix-r7' })
  expect(stopped.ok).toBe(true)
  sim.actions.unpublish({ appId: APP, streamId: 's-1', type: 1 })
  sim.actions.closeRoom({ appId: APP, roomId: 'r-7', reason: 2 })
}

/** The delivery of the next notice of one of these types. */
function nextNotice(...types: Array<'attempt' | 'settled'>): Promise<Delivery> {
  return new Promise((resolve) => {
    const off = sim.callbacks.subscribe((n) => {
      if (types.includes(n.type)) {
        off()
        resolve(n.delivery)
      }
    })
  })
}

/** `count` times: waits for the next notice of these types, then moves the clock to the next timer (a retry). */
async function retryAfterEach(count: number, ...types: Array<'attempt' | 'settled'>): Promise<void> {
  for (let i = 0; i < count; i++) {
    await nextNotice(...types)
    const due = clock.nextDueAt()
    if (due !== undefined) clock.advanceTo(due)
  }
}

/** A customer's StartMix of one input stream into one output stream. */
const startOneToOne = (TaskId: string, UserId: string, input: string, output: string) =>
  sim.customer
    .client(APP)
    .startMix({ TaskId, UserId, MixInput: [{ StreamId: input }], MixOutput: [{ StreamId: output }] })

const byEvent = (name: string) => receiver.received.find((r) => r.body.event === name)?.body

describe('callback payloads', () => {
  it('sends all five events with the documented fields, signed with the callback secret (JSON)', async () => {
    await setUp()
    await lifeOfARoom()
    await receiver.waitFor(5)
    await sim.callbacks.idle()
    expect(receiver.received.map((r) => r.body.event)).toEqual([
      'stream_create',
      'mix_start',
      'mix_stop',
      'stream_close',
      'room_close',
    ])
    for (const { body, contentType } of receiver.received) {
      expect(contentType).toBe('application/json')
      const { timestamp, nonce, signature } = body as {
        timestamp: string | number
        nonce: string
        signature: string
      }
      expect(verifyCallbackSignature(CB_SECRET, timestamp, nonce, signature)).toBe(true)
      // Signed on the real clock, whatever the simulated time.
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(60)
    }
    const create = byEvent('stream_create')
    expect(create).toMatchObject({
      appid: String(APP),
      room_id: 'r-7',
      channel_id: 'r-7',
      user_id: 'u-1',
      user_name: 'alice',
      stream_id: 's-1',
      stream_alias: 's-1',
      recreate: '0',
      stream_seq: '1',
      publish_id: 'u-1',
      create_time_ms: String(clock.now() - 5_000),
    })
    expect(create?.rtmp_url).toEqual([expect.stringMatching(/^rtmp:\/\//)])
    expect(byEvent('mix_start')).toMatchObject({
      appid: String(APP),
      task_id: `${APP}:mix-r7`,
      channel_id: 'r-7',
      publish_id: 'svc-mixer',
      mix_stream_alias: 'mix-r7-out',
      seq: '1',
    })
    expect(byEvent('mix_stop')).toMatchObject({
      task_id: `${APP}:mix-r7`,
      seq: '2',
      mix_stream_alias: 'mix-r7-out',
    })
    expect(byEvent('stream_close')).toMatchObject({
      type: '1',
      stream_sid: create?.stream_sid,
      stream_seq: '2',
      destroy_timemillis: String(clock.now()),
    })
    const roomClose = byEvent('room_close')
    expect(roomClose).toMatchObject({ appid: APP, close_reason: 2, room_id: 'r-7' })
    expect(typeof roomClose?.timestamp).toBe('number')
    expect(roomClose?.room_session_id).toBe(Number(create?.room_session_id))
  })

  it('form-encodes per app, arrays as repeated keys, and still verifies', async () => {
    await setUp({ form: true })
    await lifeOfARoom()
    await receiver.waitFor(5)
    const create = receiver.received[0]
    expect(create?.contentType).toBe('application/x-www-form-urlencoded')
    expect(create?.body).toMatchObject({ event: 'stream_create', stream_id: 's-1' })
    for (const { body } of receiver.received)
      expect(
        verifyCallbackSignature(
          CB_SECRET,
          String(body.timestamp),
          String(body.nonce),
          String(body.signature),
        ),
      ).toBe(true)
  })

  it('sends mix_stop for an idle auto-end by default, and none when switched off', async () => {
    await setUp()
    sim.actions.publish({ appId: APP, roomId: 'r', streamId: 'a', userId: 'u' })
    await startOneToOne('t1', 'm', 'a', 'o1')
    await startOneToOne('t2', 'm2', 'a', 'o2')
    sim.actions.unpublish({ appId: APP, streamId: 'a' })
    clock.advance(90_000)
    sim.switches.callbacks.autoEndSendsMixStop = false
    sim.actions.publish({ appId: APP, roomId: 'r', streamId: 'b', userId: 'u' })
    await startOneToOne('t3', 'm3', 'b', 'o3')
    sim.actions.unpublish({ appId: APP, streamId: 'b' })
    clock.advance(90_000)
    await sim.callbacks.idle()
    const stops = sim.callbacks.deliveries({ event: 'mix_stop' })
    expect(stops.map((d) => [d.payload.task_id, d.status])).toEqual([
      [`${APP}:t1`, 'delivered'],
      [`${APP}:t2`, 'delivered'],
      [`${APP}:t3`, 'omitted'],
    ])
  })
})

describe('retries', () => {
  it('retries a failing receiver 2, 4, 8, 16, 32 s (simulated) after each attempt, then drops', async () => {
    await setUp({ status: () => 500 })
    let next = nextNotice('attempt')
    sim.actions.publish({ appId: APP, roomId: 'r', streamId: 'a', userId: 'u' })
    const gaps: number[] = []
    for (let i = 0; i < 5; i++) {
      const d = await next
      const last = d.attempts.at(-1)
      expect(d.status).toBe('pending')
      const due = clock.nextDueAt() ?? Number.NaN
      gaps.push(due - (last?.finishedAt ?? 0))
      next = nextNotice('attempt')
      clock.advanceTo(due - 1)
      expect(d.attempts).toHaveLength(i + 1)
      clock.advanceTo(due)
    }
    const delivery = await sim.callbacks.waitForSettled(() => true)
    expect(gaps).toEqual([2_000, 4_000, 8_000, 16_000, 32_000])
    expect(delivery.status).toBe('dropped')
    expect(delivery.attempts).toHaveLength(6)
    expect(delivery.attempts.map((a) => a.httpStatus)).toEqual([500, 500, 500, 500, 500, 500])
    const starts = delivery.attempts.map((a) => a.at - delivery.createdAt)
    expect(starts).toEqual([0, 2_000, 6_000, 14_000, 30_000, 62_000])
    expect(receiver.received).toHaveLength(6)
    expect(clock.pendingTimers()).toBe(0)
  })

  it('stops retrying once the receiver answers 2xx', async () => {
    await setUp({ status: (n) => (n < 2 ? 503 : 204) })
    sim.actions.publish({ appId: APP, roomId: 'r', streamId: 'a', userId: 'u' })
    await retryAfterEach(2, 'attempt')
    const d = await sim.callbacks.waitForSettled(() => true)
    expect(d.status).toBe('delivered')
    expect(d.attempts.map((a) => a.httpStatus)).toEqual([503, 503, 204])
  })

  it('counts an unreachable receiver as a failed attempt', async () => {
    await setUp()
    await receiver.close()
    sim.actions.publish({ appId: APP, roomId: 'r', streamId: 'a', userId: 'u' })
    await retryAfterEach(6, 'attempt', 'settled')
    const d = await sim.callbacks.waitForSettled(() => true)
    expect(d.status).toBe('dropped')
    expect(d.attempts.every((a) => a.error !== undefined && a.httpStatus === undefined)).toBe(true)
    receiver = await startReceiver()
  })
})

describe('chaos (seeded)', () => {
  /** Ten streams published at once: ten stream_create callbacks. */
  const burst = () => {
    for (let i = 0; i < 10; i++)
      sim.actions.publish({ appId: APP, roomId: 'r', streamId: `s${i}`, userId: `u${i}` })
  }

  it('duplicates every callback at duplicateFraction 1', async () => {
    await setUp({ chaos: { duplicateFraction: 1, delayMaxMs: 0 } })
    burst()
    await receiver.waitFor(20)
    await sim.callbacks.idle()
    const ids = receiver.received.map((r) => r.body.stream_id)
    for (let i = 0; i < 10; i++) expect(ids.filter((id) => id === `s${i}`)).toHaveLength(2)
    const copies = sim.callbacks.deliveries().filter((d) => d.duplicateOf !== undefined)
    expect(copies).toHaveLength(10)
    // A duplicate is the same callback: same nonce and signature.
    const first = receiver.received.filter((r) => r.body.stream_id === 's0')
    expect(first[0]?.raw).toBe(first[1]?.raw)
  })

  it('loses every callback at dropFraction 1, and marks them lost', async () => {
    await setUp({ chaos: { dropFraction: 1 } })
    burst()
    await sim.callbacks.idle()
    expect(receiver.received).toHaveLength(0)
    expect(sim.callbacks.deliveries({ status: 'lost' })).toHaveLength(10)
  })

  it('delays some callbacks so later ones overtake them', async () => {
    await setUp({ chaos: { delayFraction: 0.5, delayMaxMs: 10_000 } })
    burst()
    const delayed = sim.callbacks.deliveries().filter((d) => d.delayedMs > 0)
    expect(delayed.length).toBeGreaterThan(0)
    expect(delayed.length).toBeLessThan(10)
    await receiver.waitFor(10 - delayed.length)
    clock.advance(10_000)
    await receiver.waitFor(10)
    const order = receiver.received.map((r) => r.body.stream_id)
    expect(order).not.toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`))
    expect([...order].sort()).toEqual(Array.from({ length: 10 }, (_, i) => `s${i}`).sort())
  })

  it('makes the same choices for the same seed, and different ones for another seed', async () => {
    const choices = async (seed: number) => {
      await setUp({
        seed,
        chaos: { dropFraction: 0.3, duplicateFraction: 0.3, delayFraction: 0.3, delayMaxMs: 1_000 },
      })
      burst()
      const result = sim.callbacks
        .deliveries()
        .map(
          (d) =>
            `${d.payload.stream_id}:${d.status === 'lost' ? 'lost' : d.delayedMs}:${d.duplicateOf ?? '-'}`,
        )
      await sim.close()
      await receiver.close()
      return result
    }
    const a = await choices(42)
    const b = await choices(42)
    const c = await choices(43)
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    await setUp()
  })

  it('omits mix_stop on an abnormal end by default, and sends it when the fraction is 0', async () => {
    await setUp()
    sim.actions.publish({ appId: APP, roomId: 'r', streamId: 'a', userId: 'u' })
    await startOneToOne('c1', 'm', 'a', 'o1')
    sim.actions.crashTask({ appId: APP, taskId: 'c1' })
    sim.switches.chaos.omitMixStopOnAbnormal = 0
    await startOneToOne('c2', 'm', 'a', 'o2')
    sim.actions.crashTask({ appId: APP, taskId: 'c2' })
    await sim.callbacks.idle()
    const stops = sim.callbacks.deliveries({ event: 'mix_stop' }).map((d) => [d.payload.task_id, d.status])
    expect(stops).toEqual([
      [`${APP}:c1`, 'omitted'],
      [`${APP}:c2`, 'delivered'],
    ])
    expect(receiver.received.filter((r) => r.body.event === 'mix_stop')).toHaveLength(1)
    expect(sim.ledger.task(APP, 'c1', clock.now())?.endReason).toBe('abnormal')
  })
})
