import { encodeDeadLetter } from '@mixguard/contracts'
import type { SpoolRecord } from './spool-format.ts'

/** Why a record can never be stored on its topic. `code` is stable (metrics label, HTTP reason). */
export interface Rejection {
  code: 'too_large' | 'refused'
  detail: string
  /** The size the record had to stay within (too_large only). */
  limitBytes?: number
}

/** How much of a set-aside value the dead-letter record keeps: enough to see what it was. */
const DEAD_LETTER_PAYLOAD_BYTES = 8 * 1024

/**
 * The record that stands in for one Kafka can never take: on the dead-letter topic, under the same
 * key, with the reason, the sizes and the start of the value. It is small, so it always fits.
 */
export function deadLetterFor(
  record: SpoolRecord,
  rejection: Rejection,
  deadLetterTopic: string,
  receivedAt: number,
): SpoolRecord {
  const appId = record.key === null ? Number.NaN : Number(record.key)
  const truncated = record.value.length > DEAD_LETTER_PAYLOAD_BYTES
  const value = encodeDeadLetter({
    v: 1,
    source: 'ingest:publisher',
    reason: `${rejection.code}: ${rejection.detail}`,
    receivedAt,
    appId: Number.isInteger(appId) && appId >= 1 && appId <= 0xffffffff ? appId : null,
    payload: record.value.toString('utf8', 0, DEAD_LETTER_PAYLOAD_BYTES),
    topic: record.topic,
    bytes: record.value.length,
    ...(rejection.limitBytes === undefined ? {} : { limitBytes: rejection.limitBytes }),
    truncated,
  })
  return { topic: deadLetterTopic, key: record.key, value }
}
