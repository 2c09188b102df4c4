import type { Decision, ZegoEvent } from '@mixguard/contracts'
import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide, nextDeadline } from './decide.ts'
import { ROOM_CHECK_INTERVAL_MS } from './limits.ts'
import { type AppState, type CoreInput, emptyState } from './model.ts'
import type { AppPolicy } from './policy.ts'
import { checkAll, policyArb } from './test-checks.ts'
import { APP, isRoomCheck } from './test-kit.ts'
import { buildWorld, prng, scriptArb, type World } from './test-world.ts'

// 200 keeps the unit suite fast; CORE_PROPERTY_RUNS=5000 for a deeper search when the core changes.
const RUNS = Number(process.env.CORE_PROPERTY_RUNS ?? 200)
const TIMEOUT_MS = Math.max(60_000, RUNS * 150)
/** Long enough after the world's end for every grace, confirmation and sweep to have run. */
const SETTLE_MS = 15 * 60_000
/** The longest ZEGO takes to answer a list here: longer than the lead a room is listed ahead with. */
const MAX_ANSWER_MS = 2_500

const listingPolicy = fc.tuple(policyArb, fc.boolean()).map(
  ([p, sweep]): AppPolicy => ({
    ...p,
    confirmOrphansWithStreamList: true,
    roomSweep: { ...p.roomSweep, enabled: sweep },
  }),
)

const isStreamEvent = (event: ZegoEvent) => event.type === 'stream_created' || event.type === 'stream_closed'

/**
 * A shell with a perfect timer and a ZEGO that answers every list with the truth at the moment it
 * takes it, but up to MAX_ANSWER_MS after it was asked: lists asked ahead of a deadline come back
 * before it or after it. Callbacks arrive in order, some late (ZEGO's retries).
 */
function run(world: World, policy: AppPolicy, seed: number): Decision[] {
  const random = prng(seed)
  const streamIds = [
    ...new Set(
      world.events.flatMap((e) => (isStreamEvent(e) ? [(e.body as { streamId: string }).streamId] : [])),
    ),
  ]
  let state: AppState = emptyState(APP)
  let clock = Number.NEGATIVE_INFINITY
  const decisions: Decision[] = []
  const answers: { at: number; input: CoreInput }[] = []
  const step = (input: CoreInput, now: number) => {
    clock = Math.max(clock, now)
    const next = decide(state, input, now, policy)
    state = next.state
    decisions.push(...next.decisions)
    for (const check of next.decisions.filter(isRoomCheck)) {
      const roomId = check.evidence.note ?? ''
      const takenAt = now + Math.floor(random() * MAX_ANSWER_MS)
      const listed = roomId === 'r1' ? streamIds.filter((s) => world.streamLiveAt(s, takenAt)) : []
      const at = takenAt + Math.floor(random() * (now + MAX_ANSWER_MS - takenAt))
      answers.push({ at, input: { kind: 'room_streams', roomId, streamIds: listed, observedAt: takenAt } })
    }
  }
  const until = (t: number) => {
    for (;;) {
      answers.sort((a, b) => a.at - b.at)
      const due = nextDeadline(state) ?? Number.POSITIVE_INFINITY
      const answer = answers[0]
      const next = Math.min(due, answer?.at ?? Number.POSITIVE_INFINITY)
      if (next > t) return
      if (answer !== undefined && answer.at <= due) {
        answers.shift()
        step(answer.input, Math.max(answer.at, clock))
        continue
      }
      step({ kind: 'tick' }, Math.max(due, clock))
      const after = nextDeadline(state)
      expect(after === null || after > clock, `deadline ${after} not after the tick at ${clock}`).toBe(true)
    }
  }
  for (const event of world.events) {
    const at = (event.occurredAt ?? event.receivedAt) + (random() < 0.3 ? Math.floor(random() * 8_000) : 0)
    until(at)
    step({ kind: 'event', event: { ...event, receivedAt: Math.max(at, clock) } }, Math.max(at, clock))
  }
  until(world.end + SETTLE_MS)
  return decisions
}

describe('stream lists, asked ahead of deadlines, by confirmations and by the room sweep', () => {
  it(
    'never list a room twice within ZEGO’s 10 s, and every stop is sound, however late ZEGO answers',
    () => {
      fc.assert(
        fc.property(scriptArb, listingPolicy, fc.integer(), (script, policy, seed) => {
          const world = buildWorld(script)
          const decisions = run(world, policy, seed)
          const last = new Map<string, number>()
          for (const list of decisions.filter(isRoomCheck)) {
            const roomId = list.evidence.note ?? ''
            const previous = last.get(roomId)
            if (previous !== undefined)
              expect(
                list.decidedAt - previous,
                `${roomId} listed again at ${list.decidedAt}`,
              ).toBeGreaterThanOrEqual(ROOM_CHECK_INTERVAL_MS)
            last.set(roomId, list.decidedAt)
          }
          checkAll(world, decisions, policy, (d) => d.decidedAt)
        }),
        { numRuns: RUNS },
      )
    },
    TIMEOUT_MS,
  )
})
