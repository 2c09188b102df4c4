// Decision-core throughput: events/s through `decide` for one busy app (the core's state is per app,
// so this is the per-app ceiling; apps on different partitions run in parallel).
// Run: pnpm bench:core [rooms=300] [rounds=30] [warmup=10] [batch=200]
import { mixApiCallEvent, parseCallback, toEvent, type ZegoEvent } from '@mixguard/contracts'
import { decide, decideAll, defaultPolicy, emptyState, type TimedInput } from '@mixguard/reconciler/core'
import { formatTable, type Row, row } from './row.ts'

const APP = 4001
const t0 = 1_800_000_000_000

function callback(body: Record<string, string>, receivedAt: number): ZegoEvent {
  const parsed = parseCallback({
    appid: String(APP),
    timestamp: String(Math.floor(receivedAt / 1000)),
    nonce: '1',
    signature: 'x',
    ...body,
  })
  if (!parsed.ok) throw new Error(parsed.reason)
  return toEvent(parsed.callback, { receivedAt })
}

/** A day in the life of `rooms` rooms: two publishers and a mix each, a reconnect, then everyone leaves. */
function history(rooms: number): ZegoEvent[] {
  const events: ZegoEvent[] = []
  let at = t0
  for (let r = 0; r < rooms; r++) {
    const room = `room-${r}`
    const streams = [`host-${r}`, `guest-${r}`]
    streams.forEach((stream, i) => {
      at += 7
      events.push(
        callback(
          {
            event: 'stream_create',
            room_id: room,
            room_session_id: String(1000 + r),
            stream_id: stream,
            stream_sid: `sid-${stream}`,
            user_id: stream,
            stream_seq: String(i + 1),
            create_time_ms: String(at),
            recreate: '0',
          },
          at,
        ),
      )
    })
    at += 5
    events.push(
      mixApiCallEvent({
        appId: APP,
        action: 'StartMix',
        request: {
          TaskId: `task-${r}`,
          UserId: `mixer-${r}`,
          RoomId: room,
          MixInput: streams.map((StreamId) => ({ StreamId })),
          MixOutput: [{ StreamId: `out-${r}` }],
        },
        response: { httpStatus: 200, code: 0, message: 'success', requestId: `req-${r}` },
        requestedAt: at,
        receivedAt: at + 20,
      }),
    )
  }
  for (let r = 0; r < rooms; r++) {
    const room = `room-${r}`
    for (const [i, stream] of [`host-${r}`, `guest-${r}`].entries()) {
      at += 11
      events.push(
        callback(
          {
            event: 'stream_close',
            room_id: room,
            room_session_id: String(1000 + r),
            stream_id: stream,
            stream_sid: `sid-${stream}`,
            user_id: stream,
            stream_seq: String(i + 3),
            create_time_ms: String(t0),
            destroy_timemillis: String(at),
            type: i === 0 ? '0' : '1',
          },
          at,
        ),
      )
    }
  }
  return events
}

/**
 * Events/s through the core: the history fed from an empty state, then one tick, each round timed on
 * the wall clock. The events are decided in batches of `batch` (decideAll), as the reconciler's shell
 * hands the core a turn of up to RECORDS_PER_TURN (200) records; `batch` 1 calls decide() once per
 * event. A reconciler runs warm (one process decides for hours), so the row is the steady state:
 * `warmup` rounds first (JIT compilation, the heap growing to its working size), then the median, min
 * and max of `rounds` more. The first, cold round is printed too: what a reconciler just started pays.
 */
export function benchCore(rooms = 300, rounds = 30, warmup = 10, batch = 200): Row {
  const events = history(rooms)
  const inputs: TimedInput[] = events.map((event) => ({
    input: { kind: 'event', event },
    now: event.receivedAt,
  }))
  const policy = defaultPolicy(APP)
  const perSecond: number[] = []
  let cold = Number.NaN
  let decisions = 0
  for (let round = 0; round < warmup + rounds; round++) {
    let state = emptyState(APP)
    let made = 0
    const began = performance.now()
    for (let i = 0; i < inputs.length; i += batch) {
      if (batch === 1) {
        const { input, now } = inputs[i] as TimedInput
        const step = decide(state, input, now, policy)
        state = step.state
        made += step.decisions.length
        continue
      }
      const step = decideAll(state, inputs.slice(i, i + batch), policy)
      state = step.state
      for (const some of step.decisions) made += some.length
    }
    // Every orphan deadline fires in one tick an hour later.
    const step = decide(state, { kind: 'tick' }, t0 + 3_600_000, policy)
    made += step.decisions.length
    const rate = events.length / ((performance.now() - began) / 1000)
    if (round === 0) cold = rate
    if (round >= warmup) {
      perSecond.push(rate)
      decisions = made
    }
  }
  perSecond.sort((a, b) => a - b)
  const fed = batch === 1 ? 'one by one' : `in batches of ${batch}`
  return row('core', `decision core, one app: ${rooms} rooms, ${events.length} events a round, ${fed}`, {
    throughput: perSecond[Math.floor(rounds / 2)] ?? Number.NaN,
    unit: 'events/s (median)',
    extra: {
      rounds,
      'warm-up rounds (not counted)': warmup,
      'min events/s': Math.round(perSecond[0] ?? Number.NaN),
      'max events/s': Math.round(perSecond.at(-1) ?? Number.NaN),
      'cold first round events/s': Math.round(cold),
      'decisions a round': decisions,
    },
  })
}

if (import.meta.main) {
  const [rooms, rounds, warmup, batch] = process.argv.slice(2).map(Number)
  console.log(formatTable([benchCore(rooms ?? 300, rounds ?? 30, warmup ?? 10, batch ?? 200)]))
}
