import type { ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, decideAll, type TimedInput } from './decide.ts'
import { type AppState, type CoreInput, emptyState, parseAppState, type StreamRecord } from './model.ts'
import { streamsNaming, streamsNamingInOrder } from './room-candidates.ts'
import { storedState } from './stored-state.ts'
import { tvalues } from './table.ts'
import { assertProperty, timeoutFor } from './test-depth.ts'
import { APP, closed, created, deepFreeze, policyWith, startMix, T0 } from './test-kit.ts'

const TIMEOUT_MS = timeoutFor(100)

const policy = policyWith({})
const ROOMS = ['r1', 'r2', 'r3']
const STREAMS = ['s1', 's2', 's3', 's4']

/** The former rule (streams.ts everIn): every stream of the app, in the table's order, whose facts or observation name the room. */
function scanNaming(state: AppState, roomId: string): string[] {
  const names = (s: StreamRecord): boolean =>
    s.observed?.roomId === roomId || Object.values(s.facts).some((fact) => fact.roomId === roomId)
  return tvalues(state.streams)
    .filter(names)
    .map((s) => s.streamId)
}

const candidates = (state: AppState, roomId: string): string[] =>
  streamsNamingInOrder(state.streams, roomId).map((s) => s.streamId)

/** The ids markStale reads (unordered): the index's own, with no record looked up that could hide one it kept. */
const named = (state: AppState, roomId: string): string[] => streamsNaming(state.streams, roomId).sort()

const list = (roomId: string, streamIds: string[], observedAt: number): CoreInput => ({
  kind: 'room_streams',
  roomId,
  streamIds,
  observedAt,
})
const event = (e: ZegoEvent): CoreInput => ({ kind: 'event', event: e })

/** Decides the inputs one batch each, as the shell decides a turn's events of one app on one draft. */
function inBatches(state: AppState, batches: TimedInput[][]): AppState {
  let s = state
  for (const batch of batches) s = decideAll(deepFreeze(s), batch, policy).state
  return s
}

describe('a room list answer reads only the streams ever in its room (room-candidates.ts)', () => {
  it(
    'the candidates are the streams a scan of the app names the room by, in the scan’s order, after every batch',
    async () => {
      const step = fc.oneof(
        fc.record({
          kind: fc.constantFrom('created' as const, 'closed' as const),
          stream: fc.constantFrom(...STREAMS),
          room: fc.constantFrom(...ROOMS),
          session: fc.constantFrom('a', 'b'),
        }),
        fc.record({
          kind: fc.constant('list' as const),
          room: fc.constantFrom(...ROOMS),
          listed: fc.subarray(STREAMS),
        }),
        fc.record({
          kind: fc.constant('start' as const),
          room: fc.constantFrom(...ROOMS),
          stream: fc.constantFrom(...STREAMS),
        }),
        fc.record({ kind: fc.constant('tick' as const) }),
      )
      // Time jumps by hours now and then, so retention forgets streams inside a batch.
      const timed = fc.tuple(step, fc.oneof(fc.nat(20_000), fc.constant(4 * 60 * 60_000)))
      await assertProperty(
        fc.property(
          fc.array(fc.array(timed, { minLength: 1, maxLength: 8 }), { maxLength: 12 }),
          (batches) => {
            let state = emptyState(APP)
            let now = T0
            let n = 0
            for (const batch of batches) {
              const inputs: TimedInput[] = []
              for (const [s, advance] of batch) {
                now += advance
                n++
                let input: CoreInput
                if (s.kind === 'created' || s.kind === 'closed') {
                  const make = s.kind === 'created' ? created : closed
                  input = event(make({ streamId: s.stream, roomId: s.room, session: s.session, at: now }))
                } else if (s.kind === 'list') input = list(s.room, s.listed, now - 1)
                else if (s.kind === 'start')
                  input = event(startMix({ taskId: `t${n}`, at: now, roomId: s.room, inputs: [s.stream] }))
                else input = { kind: 'tick' }
                inputs.push({ input, now })
              }
              state = inBatches(state, [inputs])
              for (const roomId of ROOMS) {
                expect(candidates(state, roomId)).toEqual(scanNaming(state, roomId))
                expect(named(state, roomId)).toEqual(scanNaming(state, roomId).sort())
              }
            }
          },
        ),
      )
    },
    TIMEOUT_MS,
  )

  it('a stream an observation moved to another room is marked absent by that room’s next list, in one batch', () => {
    // s1 is created and closed in r1, and r1's list reads its bucket. r2's list sees it: it is in r2
    // now (a list after its close decides). r2's next list does not: it has been gone from r2 since
    // that list. All on one draft, so the index must take in the write of a record it read already.
    const inputs: TimedInput[] = [
      { input: event(created({ streamId: 's1', roomId: 'r1', at: T0 })), now: T0 },
      { input: event(closed({ streamId: 's1', roomId: 'r1', at: T0 + 500 })), now: T0 + 500 },
      { input: list('r1', [], T0 + 1_000), now: T0 + 1_000 },
      { input: list('r2', ['s1'], T0 + 2_000), now: T0 + 2_000 },
      { input: list('r2', [], T0 + 3_000), now: T0 + 3_000 },
    ]
    const batched = inBatches(emptyState(APP), [inputs])
    expect(candidates(batched, 'r2')).toEqual(['s1'])
    const observed = tvalues(batched.streams)[0]?.observed
    expect(observed).toMatchObject({ present: false, roomId: 'r2', at: T0 + 3_000 })
    // One input at a time gives the same state.
    expect(
      inBatches(
        emptyState(APP),
        inputs.map((input) => [input]),
      ),
    ).toEqual(batched)
  })

  it('a stream forgotten by retention is no candidate of its room, and a later list does not bring it back', () => {
    const forget = T0 + 4 * 60 * 60_000
    // s1 and s41 share a bucket: retention deletes s1 from it and keeps the bucket (s41 is in it).
    const inputs: TimedInput[] = [
      { input: event(created({ streamId: 's1', roomId: 'r1', at: T0 })), now: T0 },
      { input: event(created({ streamId: 's41', roomId: 'r1', at: T0 })), now: T0 },
      { input: event(closed({ streamId: 's1', roomId: 'r1', at: T0 + 2_000 })), now: T0 + 2_000 },
      // s1, closed, expires after the retention; s41, live in the list, is kept.
      { input: list('r1', ['s41'], T0 + 60_000), now: T0 + 60_000 },
      { input: { kind: 'tick' }, now: forget },
    ]
    const state = inBatches(emptyState(APP), [inputs])
    expect(tvalues(state.streams).map((s) => s.streamId)).toEqual(['s41'])
    expect(named(state, 'r1')).toEqual(['s41'])
    expect(candidates(state, 'r1')).toEqual(['s41'])
    const after = decide(deepFreeze(state), list('r1', [], forget + 1_000), forget + 1_000, policy).state
    expect(tvalues(after.streams).map((s) => [s.streamId, s.observed?.present, s.observed?.at])).toEqual([
      ['s41', false, forget + 1_000],
    ])
  })

  it('a restored state answers a list as the state it was saved from does', () => {
    let state = emptyState(APP)
    const feed = (input: CoreInput, now: number) => {
      state = decide(deepFreeze(state), input, now, policy).state
    }
    // s1 moves from r1 to r2: closed in r1, then listed in r2.
    feed(event(created({ streamId: 's1', roomId: 'r1', at: T0 })), T0)
    feed(event(closed({ streamId: 's1', roomId: 'r1', at: T0 + 500 })), T0 + 500)
    feed(event(created({ streamId: 's2', roomId: 'r2', at: T0 })), T0)
    feed(list('r2', ['s1', 's2'], T0 + 1_000), T0 + 1_000)
    const restored = parseAppState(JSON.parse(JSON.stringify(storedState(state)))) as AppState
    for (const roomId of ROOMS) expect(candidates(restored, roomId)).toEqual(scanNaming(state, roomId))
    const answer = list('r2', [], T0 + 2_000)
    expect(decide(restored, answer, T0 + 2_000, policy).state).toEqual(
      decide(state, answer, T0 + 2_000, policy).state,
    )
    expect(
      tvalues(decide(restored, answer, T0 + 2_000, policy).state.streams).map((s) => s.observed?.present),
    ).toEqual([false, false])
  })
})
