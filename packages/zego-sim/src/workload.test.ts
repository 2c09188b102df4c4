import { afterEach, describe, expect, it } from 'vitest'
import { seededRandom } from './random.ts'
import { Scenario } from './scenario.ts'
import { createSimulator, type Simulator } from './simulator.ts'
import { generateWorkload } from './workload.ts'

describe('generateWorkload', () => {
  it('is reproducible from a seed and valid as a scenario', () => {
    const a = generateWorkload({ appId: 1, rooms: 20 }, seededRandom(9))
    const b = generateWorkload({ appId: 1, rooms: 20 }, seededRandom(9))
    const c = generateWorkload({ appId: 1, rooms: 20 }, seededRandom(10))
    expect(a).toEqual(b)
    expect(a).not.toEqual(c)
    expect(Scenario.safeParse(a).success).toBe(true)
    expect(a.map((s) => s.at)).toEqual([...a.map((s) => s.at)].sort((x, y) => x - y))
  })

  it('contains supersessions without a stop, by shared UserId and by shared output, plus reconnects', () => {
    const steps = generateWorkload(
      { appId: 1, rooms: 30, supersedeWithoutStop: 1, forgetStop: 0, reconnects: 1 },
      seededRandom(3),
    )
    const starts = steps.flatMap((s) => (s.do === 'startMix' ? [s] : []))
    const byRoom = new Map<string | undefined, typeof starts>()
    for (const s of starts) byRoom.set(s.roomId, [...(byRoom.get(s.roomId) ?? []), s])
    let sameUser = 0
    let sameOutput = 0
    for (const list of byRoom.values())
      for (let i = 1; i < list.length; i++) {
        const [prev, next] = [list[i - 1], list[i]]
        if (prev?.userId === next?.userId) sameUser++
        if (prev?.outputs[0] === next?.outputs[0]) sameOutput++
      }
    expect(sameUser).toBeGreaterThan(0)
    expect(sameOutput).toBeGreaterThan(0)
    // Only the room endings stop a task: no replacement stops its predecessor.
    expect(steps.filter((s) => s.do === 'stopMix')).toHaveLength(30)
    expect(steps.filter((s) => s.do === 'reconnect').length).toBeGreaterThan(0)
  })
})

describe('running a scenario through the customer client', () => {
  let sim: Simulator | undefined
  afterEach(async () => {
    await sim?.close()
  })

  it('executes timed steps on the simulated clock and books the waste of forgotten stops', async () => {
    sim = await createSimulator({ scale: 2_000, apps: [{ appId: 7001 }] })
    const outcomes = await sim.runScenario([
      { do: 'publish', at: 0, appId: 7001, roomId: 'r', streamId: 'host', userId: 'h' },
      {
        do: 'startMix',
        at: 1,
        appId: 7001,
        taskId: 'm1',
        userId: 'mixer',
        roomId: 'r',
        inputs: ['host'],
        outputs: ['out'],
      },
      { do: 'publish', at: 10, appId: 7001, roomId: 'r', streamId: 'co', userId: 'c' },
      {
        do: 'startMix',
        at: 11,
        appId: 7001,
        taskId: 'm2',
        userId: 'mixer',
        roomId: 'r',
        inputs: ['host', 'co'],
        outputs: ['out'],
      },
      {
        do: 'startMix',
        at: 12,
        appId: 7001,
        taskId: 'bad',
        userId: 'mixer',
        inputs: ['nobody'],
        outputs: ['x'],
      },
      { do: 'unpublish', at: 20, appId: 7001, streamId: 'ghost' },
      { do: 'stopMix', at: 30, appId: 7001, taskId: 'm2' },
    ])
    expect(outcomes.map((o) => [o.step.do, o.ok, o.code])).toEqual([
      ['publish', true, undefined],
      ['startMix', true, 0],
      ['publish', true, undefined],
      ['startMix', true, 0],
      ['startMix', false, 110200150],
      ['unpublish', false, 'SIM_STREAM_NOT_FOUND'],
      ['stopMix', true, 0],
    ])
    const start = outcomes[0]?.ranAt ?? 0
    expect((outcomes[6]?.ranAt ?? 0) - start).toBeGreaterThanOrEqual(30_000)
    // m1 was superseded by m2 and never stopped: still running, still billed.
    expect(sim.world.runningTask(7001, 'm1')).toBeDefined()
    expect(sim.world.runningTask(7001, 'm2')).toBeUndefined()
    expect(sim.ledger.stopCalls(7001).map((c) => c.caller)).toEqual(['customer'])
  })
})
