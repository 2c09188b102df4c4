import { contentHash } from './canonical-hash.ts'
import type { DeadLetter, Decision, Outcome } from './decisions.ts'
import type { ZegoEvent } from './events.ts'
import { SCHEMA_VERSION, type SchemaName } from './json-schema.ts'
import { isRecord } from './url-decoding.ts'

/** Record headers every Mixguard topic value carries, so a consumer can route and dedupe without parsing. */
export const RECORD_HEADERS = {
  /** The schema name: `event`, `mix-api-call`, `decision`, `outcome`, `dead-letter` (schemas/<name>.schema.json). */
  type: 'mixguard-type',
  schemaVersion: 'mixguard-schema-version',
  /** Event id, decision id, `<decisionId>/<attempt>/<result>` for an outcome, content hash for a dead letter. */
  id: 'mixguard-id',
} as const

/**
 * What a producer adds to a record besides key and value (kafkajs message fields). The timestamp is
 * the business time — ZEGO's occurredAt for an event (else when ingest received it), the decision time,
 * the outcome time, the dead letter's arrival — not the send time, which after a spool drain or a
 * retry says nothing about the fact.
 */
export interface RecordMetadata {
  timestamp: string
  headers: Record<string, string>
}

/**
 * How far ZEGO's time of an event may be from when ingest received it and still stamp the record. ZEGO
 * retries for about 62 s, so a true time is minutes from receipt at most; the body is not signed
 * (docs/zego.md §7.3), and Kafka 4 refuses a record stamped over an hour ahead of the broker
 * (log.message.timestamp.after.max.ms), which would hold up every record batched with it. Outside the
 * window the record is stamped with the receive time; the value keeps ZEGO's time either way.
 */
const EVENT_TIME_BEFORE_RECEIPT_MS = 60 * 60 * 1000
const EVENT_TIME_AFTER_RECEIPT_MS = 5 * 60 * 1000

export function eventRecordMetadata(event: ZegoEvent): RecordMetadata {
  const occurred = event.occurredAt
  const plausible =
    occurred !== null &&
    occurred >= event.receivedAt - EVENT_TIME_BEFORE_RECEIPT_MS &&
    occurred <= event.receivedAt + EVENT_TIME_AFTER_RECEIPT_MS
  return metadata(
    event.type === 'mix_api_call' ? 'mix-api-call' : 'event',
    event.id,
    plausible ? occurred : event.receivedAt,
  )
}

/**
 * `wallClockNow`: the producer's real clock. A decision's time comes from the reconciler's clock, which
 * tests run faster than real time; the record is never stamped later than the wall clock, so Kafka
 * never refuses it as from the future.
 */
export function decisionRecordMetadata(decision: Decision, wallClockNow?: number): RecordMetadata {
  return metadata('decision', decision.id, notAfter(decision.decidedAt, wallClockNow))
}

export function outcomeRecordMetadata(outcome: Outcome, wallClockNow?: number): RecordMetadata {
  return metadata('outcome', outcomeId(outcome), notAfter(outcome.at, wallClockNow))
}

export function deadLetterRecordMetadata(deadLetter: DeadLetter, wallClockNow?: number): RecordMetadata {
  return metadata('dead-letter', deadLetterId(deadLetter), notAfter(deadLetter.receivedAt, wallClockNow))
}

const notAfter = (at: number, wallClockNow: number | undefined) =>
  wallClockNow === undefined ? at : Math.min(at, wallClockNow)

/** One outcome of one decision: each attempt has its own, and a retried attempt ends in another result. */
export function outcomeId(outcome: Outcome): string {
  return `${outcome.decisionId}/${outcome.attempt}/${outcome.result}`
}

export function deadLetterId(deadLetter: DeadLetter): string {
  return contentHash(['dead-letter/v1', deadLetter.source, deadLetter.receivedAt, deadLetter.payload])
}

/**
 * For a producer that holds only the encoded value (ingest's spool keeps bytes): the metadata of an
 * event or dead-letter value, read from its fields without validating it again (it was validated when
 * made). Empty when the bytes are not one of them, so the record still goes out, with the send time.
 */
export function recordMetadataOfValue(value: Buffer): Partial<RecordMetadata> {
  let json: unknown
  try {
    json = JSON.parse(value.toString('utf8'))
  } catch {
    return {}
  }
  if (!isRecord(json) || json.v !== SCHEMA_VERSION) return {}
  if (typeof json.type === 'string' && typeof json.id === 'string' && typeof json.receivedAt === 'number') {
    return eventRecordMetadata(json as ZegoEvent)
  }
  if (
    typeof json.source === 'string' &&
    typeof json.payload === 'string' &&
    typeof json.receivedAt === 'number'
  ) {
    return deadLetterRecordMetadata(json as DeadLetter)
  }
  return {}
}

function metadata(type: SchemaName, id: string, at: number): RecordMetadata {
  return {
    timestamp: String(at),
    headers: {
      [RECORD_HEADERS.type]: type,
      [RECORD_HEADERS.schemaVersion]: String(SCHEMA_VERSION),
      [RECORD_HEADERS.id]: id,
    },
  }
}
