import { describe, expect, it } from 'vitest'
import { type DeadLetter, type Decision, encodeDeadLetter, type Outcome } from './decisions.ts'
import { encodeEvent } from './events.ts'
import { mixApiCallEvent } from './mix-api.ts'
import {
  deadLetterRecordMetadata,
  decisionRecordMetadata,
  eventRecordMetadata,
  outcomeRecordMetadata,
  recordMetadataOfValue,
} from './record-metadata.ts'
import { callbackEvent, mixStopExample, streamCloseExample } from './test-fixtures.ts'

const headers = (type: string, id: string) => ({
  'mixguard-type': type,
  'mixguard-schema-version': '1',
  'mixguard-id': id,
})

describe('record metadata', () => {
  it("stamps an event with ZEGO's time, not the time it is sent", () => {
    const event = callbackEvent(streamCloseExample)
    expect(event.occurredAt).not.toBe(event.receivedAt)
    expect(eventRecordMetadata(event)).toEqual({
      timestamp: String(event.occurredAt),
      headers: headers('event', event.id),
    })
  })

  it('falls back to the receive time when ZEGO gave no time', () => {
    const event = { ...callbackEvent(mixStopExample), occurredAt: null }
    expect(eventRecordMetadata(event).timestamp).toBe(String(event.receivedAt))
  })

  it('types a mix-API call as mix-api-call, stamped with its request time', () => {
    const call = mixApiCallEvent({
      appId: 4001,
      action: 'StartMix',
      request: { TaskId: 't1' },
      response: { httpStatus: 200, code: 0, message: 'ok', requestId: 'r' },
      requestedAt: 1_700_000_000_500,
      receivedAt: 1_700_000_000_900,
    })
    expect(eventRecordMetadata(call)).toEqual({
      timestamp: '1700000000500',
      headers: headers('mix-api-call', call.id),
    })
  })

  it('stamps decisions, outcomes and dead letters with their own times and ids', () => {
    const decision = { id: 'd1', decidedAt: 5 } as Decision
    expect(decisionRecordMetadata(decision)).toEqual({ timestamp: '5', headers: headers('decision', 'd1') })
    const outcome = { decisionId: 'd1', attempt: 2, result: 'stopped', at: 7 } as Outcome
    expect(outcomeRecordMetadata(outcome)).toEqual({
      timestamp: '7',
      headers: headers('outcome', 'd1/2/stopped'),
    })
    const deadLetter: DeadLetter = {
      v: 1,
      source: 's',
      reason: 'r',
      receivedAt: 9,
      appId: null,
      payload: 'x',
    }
    expect(deadLetterRecordMetadata(deadLetter).timestamp).toBe('9')
    expect(deadLetterRecordMetadata(deadLetter).headers['mixguard-type']).toBe('dead-letter')
  })

  it('reads the same metadata back from encoded event and dead-letter bytes, and nothing from others', () => {
    const event = callbackEvent(streamCloseExample)
    expect(recordMetadataOfValue(encodeEvent(event))).toEqual(eventRecordMetadata(event))
    const deadLetter: DeadLetter = { v: 1, source: 's', reason: 'r', receivedAt: 9, appId: 1, payload: '{' }
    expect(recordMetadataOfValue(encodeDeadLetter(deadLetter))).toEqual(deadLetterRecordMetadata(deadLetter))
    expect(recordMetadataOfValue(Buffer.from('not json'))).toEqual({})
    expect(recordMetadataOfValue(Buffer.from('{"v":2,"type":"x","id":"y","receivedAt":1}'))).toEqual({})
  })
})

describe('record timestamps Kafka accepts', () => {
  // Kafka 4 refuses a record stamped more than an hour ahead of the broker's clock
  // (log.message.timestamp.after.max.ms): one bad time would block ingest's batch behind it.
  it("keeps an event's time only near when ingest received it (ZEGO's body is not signed)", () => {
    const event = callbackEvent(streamCloseExample)
    const at = (occurredAt: number) => eventRecordMetadata({ ...event, occurredAt }).timestamp
    expect(at(event.receivedAt - 120_000)).toBe(String(event.receivedAt - 120_000))
    expect(at(event.receivedAt + 2 * 3_600_000)).toBe(String(event.receivedAt))
    expect(at(event.receivedAt - 30 * 86_400_000)).toBe(String(event.receivedAt))
  })

  it('never stamps a decision or an outcome later than the wall clock given', () => {
    const decision = { id: 'd1', decidedAt: 5_000_000 } as Decision
    expect(decisionRecordMetadata(decision, 4_000_000).timestamp).toBe('4000000')
    expect(decisionRecordMetadata(decision, 9_000_000).timestamp).toBe('5000000')
    const outcome = { decisionId: 'd1', attempt: 1, result: 'stopped', at: 7_000_000 } as Outcome
    expect(outcomeRecordMetadata(outcome, 6_000_000).timestamp).toBe('6000000')
  })
})
