import { describe, expect, it } from 'vitest'
import { history, startMix, stop, streamEvent } from './test-history.ts'
import { explainTask } from './timeline.ts'

const verdict = (h: ReturnType<typeof history>, taskId = 't') => explainTask(h, 4001, taskId).verdict

describe('explainTask', () => {
  it('lists the StartMix, its inputs’ callbacks, the decision and the outcome in time order', () => {
    const h = history({
      events: [
        streamEvent('stream_closed', 'a', 5_000),
        startMix('t', 0, ['a']),
        streamEvent('stream_closed', 'other', 1),
      ],
      stops: [stop('t', 16_000, 'orphaned', 'stopped')],
    })
    const texts = explainTask(h, 4001, 't').entries.map((e) => e.text.split(':')[0])
    expect(texts).toEqual([
      'StartMix by u in room r',
      'input a gone (stream_close type 0)',
      'decision stop, reason orphaned, rule grace',
      'outcome StopMix',
    ])
    expect(verdict(h)).toMatch(
      /^Stopped by Mixguard at .*: every input had been gone for its grace \(orphaned\)/,
    )
  })

  it('says why a task still runs: live inputs, gone inputs within the grace, dry run, unknown inputs, a failed stop', () => {
    expect(
      verdict(history({ events: [startMix('t', 0, ['a']), streamEvent('stream_created', 'a', 1)] })),
    ).toMatch(/^Still running: its inputs are live \(a\)/)
    expect(
      verdict(history({ events: [startMix('t', 0, ['a']), streamEvent('stream_closed', 'a', 1_000)] })),
    ).toMatch(/^Still running: every input has been gone since .*ZEGO alone would end it at/)
    expect(
      verdict(
        history({ events: [startMix('t', 0, ['a'])], stops: [stop('t', 1, 'orphaned', null, 'would_stop')] }),
      ),
    ).toMatch(/^Still running: its app is in dry run/)
    expect(verdict(history({ stops: [stop('t', 1, 'room_closed', 'failed_permanent')] }))).toMatch(
      /failed permanently/,
    )
    expect(verdict(history({}))).toMatch(/^Mixguard has no record of task t in app 4001/)
  })

  it('a stop that gave up and was decided again is being stopped, not left to a person', () => {
    const gaveUp = stop('t', 1, 'orphaned', 'gave_up')
    const again = stop('t', 2_000, 'orphaned', null)
    const restop = { ...again, decision: { ...again.decision, id: 'd-t-again' } }
    expect(verdict(history({ stops: [gaveUp] }))).toMatch(/kept failing and was given up/)
    expect(verdict(history({ stops: [gaveUp, restop] }))).toMatch(/^Being stopped: Mixguard decided at/)
  })
})
