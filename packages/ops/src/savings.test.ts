import { describe, expect, it } from 'vitest'
import { savingsReport } from './savings.ts'
import { history, startMix, stop, streamEvent, T0 } from './test-history.ts'

const window = { since: T0, until: T0 + 3_600_000 }

describe('savingsReport', () => {
  it("counts an orphan from its stop to the inputs' end plus the StartMix's MaxIdleTime", () => {
    const h = history({
      events: [
        startMix('t', 0, ['a', 'b'], 300),
        streamEvent('stream_closed', 'a', 5_000),
        streamEvent('stream_closed', 'b', 8_000),
      ],
      stops: [stop('t', 18_000, 'orphaned', 'stopped')],
    })
    const [app] = savingsReport(h, window).apps
    expect(app?.stoppedByReason).toEqual({ orphaned: 1 })
    // ZEGO alone: 8 s + 300 s; stopped at 18.1 s.
    expect(app?.tasks[0]?.avoidedSec).toBeCloseTo(8 + 300 - 18.1, 6)
    expect(app?.tasks[0]?.zegoWouldEndAt).toBe(T0 + 308_000)
  })

  it('uses 90 s without MaxIdleTime, and counts a task whose inputs still live as ongoing up to the end of the window', () => {
    const h = history({
      events: [
        startMix('old', 0, ['a']),
        startMix('idle', 0, ['c']),
        streamEvent('stream_closed', 'c', 1_000),
      ],
      stops: [stop('old', 10_000, 'superseded', 'stopped'), stop('idle', 20_000, 'orphaned', 'stopped')],
    })
    const tasks = savingsReport(h, window).apps[0]?.tasks ?? []
    expect(tasks.find((t) => t.taskId === 'old')).toMatchObject({ ongoing: true, avoidedSec: 3_600 - 10.1 })
    expect(tasks.find((t) => t.taskId === 'idle')?.avoidedSec).toBeCloseTo(1 + 90 - 20.1, 6)
  })

  it('counts but does not estimate: unknown inputs, already gone; ignores failed stops and other windows; counts dry runs apart', () => {
    const h = history({
      events: [startMix('gone', 0, ['a']), streamEvent('stream_closed', 'a', 1_000)],
      stops: [
        stop('unknown', 1_000, 'room_closed', 'stopped'),
        stop('gone', 2_000, 'orphaned', 'already_gone'),
        stop('failed', 3_000, 'orphaned', 'failed_permanent'),
        stop('dry', 4_000, 'orphaned', null, 'would_stop'),
        stop('before', -5_000, 'orphaned', 'stopped'),
      ],
    })
    const [app] = savingsReport(h, window).apps
    expect(app?.stoppedByReason).toEqual({ room_closed: 1, orphaned: 1 })
    expect(app?.wouldStopByReason).toEqual({ orphaned: 1 })
    expect(app?.avoidedSec).toBe(0)
    expect(app?.tasks.map((t) => t.note)).toEqual([
      'inputs unknown (no StartMix recorded)',
      'ZEGO said the task was already gone',
    ])
  })
})
