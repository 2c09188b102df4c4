import type { EventOf } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { openDraft } from './draft.ts'
import { roomOf } from './liveness.ts'
import { type AppState, emptyState } from './model.ts'
import { applyStreamEvent } from './streams.ts'
import { tvalues } from './table.ts'
import { policyArb } from './test-checks.ts'
import { assertProperty, timeoutFor } from './test-depth.ts'
import { APP, closed, created, driver, roomClosed, startAutoMix, startMix, T0 } from './test-kit.ts'
import { viewOf } from './view.ts'

const TIMEOUT_MS = timeoutFor(100)

const ROOMS = ['r1', 'r2', 'r3']
const STREAMS = ['s1', 's2', 's3', 's4', 's5']

/** The former streamsInRoom: every stream of the app whose roomOf is the room, sorted. */
function fullScan(state: AppState, roomId: string): string[] {
  return tvalues(state.streams)
    .filter((stream) => roomOf(stream, state.rooms) === roomId)
    .map((stream) => stream.streamId)
    .sort()
}

const room = fc.constantFrom(...ROOMS)
const stream = fc.constantFrom(...STREAMS)
const session = fc.constantFrom('a', 'b')
/** Times jump forward (sometimes by hours, so retention forgets streams) and facts can be late or early. */
const step = fc.oneof(
  fc.record({
    kind: fc.constantFrom('created' as const, 'closed' as const),
    stream,
    room,
    session,
    seq: fc.option(fc.nat(6)),
    skew: fc.integer({ min: -60_000, max: 5_000 }),
  }),
  fc.record({ kind: fc.constant('list' as const), room, listed: fc.subarray(STREAMS), age: fc.nat(90_000) }),
  fc.record({ kind: fc.constant('room_closed' as const), room, session }),
  fc.record({ kind: fc.constant('start' as const), task: fc.nat(3), room, auto: fc.boolean(), stream }),
  fc.record({ kind: fc.constant('tick' as const) }),
)

describe('streamsInRoom reads only the streams naming the room', () => {
  it(
    'equals a scan of every stream, for every room, after every input of any history (and for every earlier state)',
    async () => {
      await assertProperty(
        fc.property(
          policyArb,
          fc.array(fc.tuple(step, fc.oneof(fc.nat(20_000), fc.constant(4 * 60 * 60_000))), { maxLength: 60 }),
          (policy, steps) => {
            const d = driver(policy)
            const states: AppState[] = []
            let now = T0
            let n = 0
            for (const [s, advance] of steps) {
              now += advance
              n++
              if (s.kind === 'created' || s.kind === 'closed') {
                const make = s.kind === 'created' ? created : closed
                const at = now + s.skew
                d.event(
                  make({
                    streamId: s.stream,
                    roomId: s.room,
                    session: s.session,
                    seq: s.seq,
                    at,
                    receivedAt: now,
                  }),
                  now,
                )
              } else if (s.kind === 'list') d.roomStreams(s.room, s.listed, now - s.age, now)
              else if (s.kind === 'room_closed')
                d.event(roomClosed({ roomId: s.room, session: s.session, at: now - 1, receivedAt: now }), now)
              else if (s.kind === 'start') {
                const args = {
                  taskId: `t${s.task}-${n}`,
                  at: now,
                  roomId: s.room,
                  inputs: [s.stream],
                  receivedAt: now,
                }
                d.event(s.auto ? startAutoMix({ ...args, inputs: [] }) : startMix(args), now)
              } else d.tick(now)
              states.push(d.state)
              const view = viewOf(d.state)
              for (const roomId of ROOMS)
                expect(view.streamsInRoom(roomId)).toEqual(fullScan(d.state, roomId))
            }
            // The memo a later state built never leaks into an earlier one.
            for (const state of states) {
              const view = viewOf(state)
              for (const roomId of ROOMS) expect(view.streamsInRoom(roomId)).toEqual(fullScan(state, roomId))
            }
          },
        ),
      )
    },
    TIMEOUT_MS,
  )

  it('a view of a draft does not keep the draft’s later writes of a stream from the next view', () => {
    const d = openDraft(emptyState(APP))
    const create = (a: Parameters<typeof created>[0]) => created(a) as EventOf<'stream_created'>
    applyStreamEvent(d, create({ streamId: 's1', roomId: 'r1', at: T0 }), T0)
    expect(viewOf(d.state).streamsInRoom('r2')).toEqual([])
    // The same record, already the draft's, written again: now in r2.
    applyStreamEvent(d, create({ streamId: 's1', roomId: 'r2', session: 'rs2', at: T0 + 1 }), T0 + 1)
    expect(viewOf(d.state).streamsInRoom('r2')).toEqual(['s1'])
    expect(viewOf(d.state).streamsInRoom('r1')).toEqual([])
  })
})
