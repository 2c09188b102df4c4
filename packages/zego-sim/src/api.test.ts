import { signQuery, ZegoCode } from '@mixguard/zego-api'
import { request } from 'undici'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HTTP_FAULT_CODE } from './api.ts'
import { createManualClock } from './clock.ts'
import { createSimulator, type Simulator } from './simulator.ts'
import { type RawCall, rawZegoCall } from './test-support.ts'

const APP = 4001
const SECRET = '9193cc662a4c0ec135ec71fb57194b38'

let sim: Simulator
let wallNow: number

const call = (c: Omit<RawCall, 'appId' | 'secret'> & Partial<Pick<RawCall, 'appId' | 'secret'>>) =>
  rawZegoCall(sim.url, { appId: APP, secret: SECRET, signedAtMs: wallNow, ...c })

const startBody = (over: Record<string, unknown> = {}) => ({
  TaskId: 'mix-1',
  UserId: 'mixer',
  RoomId: 'r1',
  MixInput: [{ StreamId: 's1', RectInfo: { Top: 0, Left: 0, Bottom: 360, Right: 640 } }],
  MixOutput: [{ StreamId: 'out-1' }],
  ...over,
})

beforeEach(async () => {
  // A frozen wall clock: rate-limit windows and signature freshness are exact, whatever the machine's speed.
  wallNow = Date.now()
  sim = await createSimulator({
    clock: createManualClock(),
    wallClock: { now: () => wallNow },
    apps: [{ appId: APP, serverSecret: SECRET }],
  })
  sim.actions.publish({ appId: APP, roomId: 'r1', streamId: 's1', userId: 'host' })
})
afterEach(async () => {
  await sim.close()
})

describe('signature and common parameters', () => {
  it('accepts a correct signature', async () => {
    const { status, body } = await call({ action: 'StartMix', body: startBody() })
    expect(status).toBe(200)
    expect(body).toMatchObject({ Code: 0, Message: 'success', Data: { UserId: 'mixer', RoomId: 'r1' } })
    expect(body.RequestId).toMatch(/\S/)
  })

  it('answers 100000004 for a timestamp more than 10 minutes off, either way', async () => {
    const past = await call({ action: 'StopMix', body: { TaskId: 'x' }, signedAtMs: wallNow - 601_000 })
    const future = await call({ action: 'StopMix', body: { TaskId: 'x' }, signedAtMs: wallNow + 601_000 })
    const edge = await call({ action: 'StopMix', body: { TaskId: 'x' }, signedAtMs: wallNow - 599_000 })
    expect(past.body.Code).toBe(ZegoCode.SignatureExpired)
    expect(future.body.Code).toBe(ZegoCode.SignatureExpired)
    expect(edge.body.Code).toBe(0)
  })

  it('answers 100000005 for a wrong secret or a tampered signature', async () => {
    const wrong = await call({ action: 'StopMix', body: { TaskId: 'x' }, secret: 'not-the-secret' })
    const tampered = await call({
      action: 'StopMix',
      body: { TaskId: 'x' },
      override: { Signature: '0'.repeat(32) },
    })
    expect(wrong.body.Code).toBe(ZegoCode.SignatureInvalid)
    expect(tampered.body.Code).toBe(ZegoCode.SignatureInvalid)
  })

  it.each([
    [{ AppId: undefined }, ZegoCode.AppIdFormat],
    [{ AppId: 'abc' }, ZegoCode.AppIdFormat],
    [{ Action: '' }, ZegoCode.ActionEmpty],
    [{ Action: 'DeleteEverything' }, ZegoCode.ActionUnsupported],
    [{ Timestamp: undefined }, ZegoCode.TimestampEmpty],
    [{ Timestamp: '12:00' }, ZegoCode.TimestampFormat],
    [{ SignatureNonce: undefined }, ZegoCode.NonceEmpty],
    [{ Signature: undefined }, ZegoCode.SignatureEmpty],
    [{ SignatureVersion: undefined }, ZegoCode.SignatureVersionEmpty],
    [{ SignatureVersion: '1.0' }, ZegoCode.SignatureVersionInvalid],
    [{ AppId: '999' }, ZegoCode.SecretNotFound],
  ])('answers the gateway code for %o', async (override, code) => {
    const { status, body } = await call({ action: 'StopMix', body: { TaskId: 'x' }, override })
    expect(status).toBe(200)
    expect(body.Code).toBe(code)
  })
})

describe('rate limits (100 per second per AppId and Action, sliding)', () => {
  it('answers each Action its own overload code past 100 calls in one second', async () => {
    const codes = async (action: string, body?: unknown, query?: Record<string, string>) => {
      const answers = await Promise.all(Array.from({ length: 103 }, () => call({ action, body, query })))
      return answers.map((a) => a.body.Code)
    }
    const stops = await codes('StopMix', { TaskId: 'none' })
    expect(stops.filter((c) => c === 0)).toHaveLength(100)
    expect(stops.filter((c) => c === ZegoCode.MixStopOverload)).toHaveLength(3)
    const infos = await codes('GetMixTaskInfo', undefined, { TaskId: 'none' })
    expect(infos.filter((c) => c === ZegoCode.MixOverload)).toHaveLength(3)
    const starts = await codes('StartMix', startBody({ MixInput: [{ StreamId: 'absent' }] }))
    expect(starts.filter((c) => c === ZegoCode.MixStartOverload)).toHaveLength(3)
    expect(sim.ledger.overloads()).toEqual({ StopMix: 3, GetMixTaskInfo: 3, StartMix: 3 })
  })

  it('counts per AppId and frees the window after one second', async () => {
    sim.world.addApp({ appId: 4002, serverSecret: 'other' })
    await Promise.all(Array.from({ length: 100 }, () => call({ action: 'StopMix', body: { TaskId: 'x' } })))
    expect((await call({ action: 'StopMix', body: { TaskId: 'x' } })).body.Code).toBe(
      ZegoCode.MixStopOverload,
    )
    const other = await call({ action: 'StopMix', body: { TaskId: 'x' }, appId: 4002, secret: 'other' })
    expect(other.body.Code).toBe(0)
    wallNow += 999
    expect((await call({ action: 'StopMix', body: { TaskId: 'x' } })).body.Code).toBe(
      ZegoCode.MixStopOverload,
    )
    wallNow += 1
    expect((await call({ action: 'StopMix', body: { TaskId: 'x' } })).body.Code).toBe(0)
  })

  it('limits DescribeSimpleStreamList per app and to one call per room per 10 s', async () => {
    const first = await call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })
    expect(first.body).toMatchObject({ Code: 0, Data: { StreamList: [{ StreamId: 's1', UserId: 'host' }] } })
    const again = await call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })
    expect(again.body.Code).toBe(ZegoCode.RoomQpsLimit)
    ;(sim.clock as ReturnType<typeof createManualClock>).advance(10_000)
    expect((await call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })).body.Code).toBe(0)
  })

  it('counts the per-room interval in simulated time: ZEGO’s 10 s are the world’s, not the machine’s', async () => {
    const list = async () =>
      (await call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })).body.Code
    expect(await list()).toBe(0)
    // Ten real seconds are nothing in a world that has not moved (at scale 20 they are 200 of its s).
    wallNow += 10_000
    expect(await list()).toBe(ZegoCode.RoomQpsLimit)
  })

  it('restarts a room’s interval with every call, a refused one too (the strictest reading of ZEGO’s limit)', async () => {
    const list = async () =>
      (await call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })).body.Code
    const clock = sim.clock as ReturnType<typeof createManualClock>
    expect(await list()).toBe(0)
    clock.advance(5_000)
    expect(await list()).toBe(ZegoCode.RoomQpsLimit)
    // 10 s after the last answer, 5 s after the refused call: still refused.
    clock.advance(5_000)
    expect(await list()).toBe(ZegoCode.RoomQpsLimit)
    // A client that waits 10 s after every call, refused or not, is served under any reading.
    clock.advance(10_000)
    expect(await list()).toBe(0)
  })

  it('counts a room list when it arrives, even when a delay fault carries it out later', async () => {
    const clock = sim.clock as ReturnType<typeof createManualClock>
    sim.faults.add({ action: 'DescribeSimpleStreamList', kind: 'delay', delayMs: 50, count: 1 })
    const held = call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })
    // The fault is taken when the call arrives; the world moves on 10 s while ZEGO sits on the call.
    while (sim.faults.list().length > 0) await new Promise((resolve) => setImmediate(resolve))
    clock.advance(10_000)
    expect((await held).body.Code).toBe(0)
    // 10 s after the held call arrived (its client timed out and waited 10 s): served.
    expect((await call({ action: 'DescribeSimpleStreamList', query: { RoomId: 'r1' } })).body.Code).toBe(0)
  })
})

describe('body validation', () => {
  it('answers the parse codes for a body that is not a JSON object', async () => {
    expect((await call({ action: 'StopMix', body: '{not json' })).body.Code).toBe(ZegoCode.MixStopParse)
    expect((await call({ action: 'StartMix', body: '[1,2]' })).body.Code).toBe(ZegoCode.MixStartParse)
    expect((await call({ action: 'StartAutoMix', body: '' })).body.Code).toBe(ZegoCode.MixParseFailed)
  })

  it.each([
    ['no TaskId', { TaskId: undefined }],
    ['no UserId', { UserId: undefined }],
    ['a TaskId with a space', { TaskId: 'mix 1' }],
    ['an input without stream', { MixInput: [{ RectInfo: { Top: 0 } }] }],
    ['an rtmp-less output URL', { MixOutput: [{ StreamUrl: 'http://cdn/out' }] }],
    ['MaxIdleTime under 90', { MaxIdleTime: 30 }],
    ['SoundLevel without SoundLevelId', { SoundLevel: 1 }],
  ])('answers 110200002 for StartMix with %s', async (_name, over) => {
    const { body } = await call({ action: 'StartMix', body: startBody(over) })
    expect(body.Code).toBe(ZegoCode.MixBadParameter)
    expect(body.Message).not.toBe('')
  })

  it('answers ZEGO mix rules: missing input, duplicates, limits', async () => {
    const code = async (over: Record<string, unknown>) =>
      (await call({ action: 'StartMix', body: startBody(over) })).body.Code
    expect(await code({ MixInput: [{ StreamId: 's1' }, { StreamId: 'gone' }] })).toBe(
      ZegoCode.MixInputMissing,
    )
    expect(await code({ MixInput: [{ StreamId: 's1' }, { StreamId: 's1' }] })).toBe(
      ZegoCode.MixDuplicateInput,
    )
    expect(await code({ MixOutput: [{ StreamId: 'o' }, { StreamId: 'o' }] })).toBe(
      ZegoCode.MixDuplicateOutput,
    )
    expect(await code({ MixOutput: [{ StreamId: 's1' }] })).toBe(ZegoCode.MixSameInputOutput)
    const ten = Array.from({ length: 10 }, (_, i) => ({ StreamUrl: `rtmp://cdn/in-${i}` }))
    expect(await code({ MixInput: ten })).toBe(ZegoCode.MixTooManyInputs)
    // URL inputs need no published stream.
    expect(await code({ MixInput: [{ StreamUrl: 'rtmp://cdn/live' }] })).toBe(0)
    sim.world.updateApp(APP, { mixEnabled: false })
    expect(await code({ TaskId: 'mix-2' })).toBe(ZegoCode.MixNotEnabled)
  })
})

describe('tasks that do not exist', () => {
  it('answers GetMixTaskInfo with 110209001, and the running task with its duration', async () => {
    expect((await call({ action: 'GetMixTaskInfo', query: { TaskId: 'mix-1' } })).body.Code).toBe(
      ZegoCode.MixTaskNotFound,
    )
    await call({ action: 'StartMix', body: startBody() })
    ;(sim.clock as ReturnType<typeof createManualClock>).advance(42_500)
    const info = await call({ action: 'GetMixTaskInfo', query: { TaskId: 'mix-1' } })
    expect(info.body).toMatchObject({ Code: 0, Data: { TaskInfo: { TaskId: 'mix-1', MixDuration: 42 } } })
  })

  it('answers StopMix on an unknown task as the switch says (default 0)', async () => {
    const stop = async () => (await call({ action: 'StopMix', body: { TaskId: 'never' } })).body.Code
    expect(await stop()).toBe(0)
    sim.switches.api.stopUnknownTask = 'not-found'
    expect(await stop()).toBe(ZegoCode.MixTaskNotFound)
    sim.switches.api.stopUnknownTask = 'failed'
    expect(await stop()).toBe(ZegoCode.MixFailed)
  })

  it('answers a second StopMix of an ended task like an unknown one', async () => {
    sim.switches.api.stopUnknownTask = 'not-found'
    await call({ action: 'StartMix', body: startBody() })
    expect((await call({ action: 'StopMix', body: { TaskId: 'mix-1' } })).body.Code).toBe(0)
    expect((await call({ action: 'StopMix', body: { TaskId: 'mix-1' } })).body.Code).toBe(
      ZegoCode.MixTaskNotFound,
    )
  })
})

describe('Sequence fencing and ownership (per-app features)', () => {
  it('requires a rising Sequence when the app enables it', async () => {
    sim.world.updateApp(APP, { sequenceFencing: true })
    const start = async (seq?: number) =>
      (await call({ action: 'StartMix', body: startBody(seq === undefined ? {} : { Sequence: seq }) })).body
        .Code
    expect(await start()).toBe(ZegoCode.MixBadParameter)
    expect(await start(5)).toBe(0)
    expect(await start(5)).toBe(ZegoCode.MixSequenceError)
    expect(await start(4)).toBe(ZegoCode.MixSequenceError)
    expect(await start(6)).toBe(0)
    const stop = async (seq: number) =>
      (await call({ action: 'StopMix', body: { TaskId: 'mix-1', Sequence: seq } })).body.Code
    expect(await stop(6)).toBe(ZegoCode.MixSequenceError)
    expect(sim.world.runningTask(APP, 'mix-1')).toBeDefined()
    expect(await stop(7)).toBe(0)
    expect(sim.world.runningTask(APP, 'mix-1')).toBeUndefined()
  })

  it('does not fence when the app has not enabled it', async () => {
    expect((await call({ action: 'StartMix', body: startBody({ Sequence: 5 }) })).body.Code).toBe(0)
    expect((await call({ action: 'StartMix', body: startBody({ Sequence: 1 }) })).body.Code).toBe(0)
  })

  it('lets only the owner stop or update a task when ownership is on', async () => {
    sim.world.updateApp(APP, { taskOwnership: true })
    await call({ action: 'StartMix', body: startBody() })
    const stranger = await call({ action: 'StopMix', body: { TaskId: 'mix-1', UserId: 'someone-else' } })
    const anonymous = await call({ action: 'StopMix', body: { TaskId: 'mix-1' } })
    const update = await call({ action: 'StartMix', body: startBody({ UserId: 'someone-else' }) })
    expect([stranger.body.Code, anonymous.body.Code, update.body.Code]).toEqual([
      ZegoCode.MixNotOwner,
      ZegoCode.MixNotOwner,
      ZegoCode.MixNotOwner,
    ])
    expect((await call({ action: 'StopMix', body: { TaskId: 'mix-1', UserId: 'mixer' } })).body.Code).toBe(0)
  })
})

describe('switches, faults and the books', () => {
  it('answers HTTP 200 always by default, and status codes by class when switched', async () => {
    expect((await call({ action: 'StopMix', body: '{' })).status).toBe(200)
    sim.switches.api.httpStatus = 'by-class'
    expect((await call({ action: 'StopMix', body: '{' })).status).toBe(400)
    expect((await call({ action: 'StopMix', body: { TaskId: 'x' }, secret: 'bad' })).status).toBe(401)
    const notFound = await call({ action: 'GetMixTaskInfo', query: { TaskId: 'x' } })
    expect([notFound.status, notFound.body.Code]).toEqual([404, ZegoCode.MixTaskNotFound])
  })

  it('fails the next N matching calls with the injected code, then recovers', async () => {
    sim.faults.add({ action: 'StopMix', count: 2 })
    const codes = []
    for (let i = 0; i < 3; i++)
      codes.push((await call({ action: 'StopMix', body: { TaskId: 'x' } })).body.Code)
    expect(codes).toEqual([ZegoCode.MixFailed, ZegoCode.MixFailed, 0])
  })

  it('answers an HTTP error page for an injected http fault, and holds a call for a delay fault', async () => {
    sim.faults.add({ action: 'StopMix', kind: 'http', httpStatus: 502, count: 1 })
    sim.faults.add({ action: 'GetMixTaskInfo', kind: 'delay', delayMs: 80, count: 1 })
    const url = new URL(sim.url)
    for (const [k, v] of Object.entries({ Action: 'StopMix', ...signQuery(APP, SECRET, wallNow) }))
      url.searchParams.set(k, v)
    const res = await request(url, { method: 'POST', body: '{"TaskId":"x"}' })
    expect([res.statusCode, res.headers['content-type']]).toEqual([502, 'text/html; charset=utf-8'])
    await res.body.dump()
    expect(sim.ledger.calls(APP).at(-1)).toMatchObject({ action: 'StopMix', code: HTTP_FAULT_CODE })
    const began = performance.now()
    const info = await call({ action: 'GetMixTaskInfo', query: { TaskId: 'nope' } })
    expect(performance.now() - began).toBeGreaterThanOrEqual(75)
    expect(info.body.Code).toBe(ZegoCode.MixTaskNotFound)
    expect((await call({ action: 'StopMix', body: { TaskId: 'x' } })).body.Code).toBe(0)
  })

  it('records every stop call with its caller, user and result', async () => {
    await call({ action: 'StartMix', body: startBody() })
    await call({
      action: 'StopMix',
      body: { TaskId: 'mix-1', UserId: 'svc' },
      headers: { 'x-sim-caller': 'mixguard' },
    })
    await call({ action: 'StopMix', body: { TaskId: 'nope' } })
    const stops = sim.ledger.stopCalls(APP)
    expect(stops).toHaveLength(2)
    expect(stops[0]).toMatchObject({
      action: 'StopMix',
      taskId: 'mix-1',
      userId: 'svc',
      caller: 'mixguard',
      code: 0,
    })
    expect(stops[1]).toMatchObject({ taskId: 'nope', caller: undefined, code: 0 })
    expect(stops[0]?.receivedAt).toBe(wallNow)
  })
})
