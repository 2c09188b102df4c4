import { hash } from 'node:crypto'
import {
  appKey,
  callbackAuthFields,
  type DeadLetter,
  deadLetterId,
  deadLetterRecordMetadata,
  encodeDeadLetter,
  encodeEvent,
  eventRecordMetadata,
  type IngestAnswerReason,
  isCallbackEvent,
  parseCallback,
  signatureSha256,
  toEvent,
  withoutCallbackSecrets,
} from '@mixguard/contracts'
import type { Clock } from '@mixguard/time'
import type { Answer } from './answer.ts'
import type { AppRegistry } from './apps.ts'
import { type BodyEncoding, parseBody } from './body.ts'
import { isIngestError } from './errors.ts'
import type { NonceClaim, NonceStore } from './nonce-store.ts'
import type { Publisher } from './publisher.ts'
import type { SpoolRecord } from './spool-format.ts'
import { verifyCallback } from './verify.ts'

export interface CallbackDeps {
  apps: AppRegistry
  clock: Clock
  freshnessWindowMs: number
  nonces: NonceStore
  publisher: Pick<Publisher, 'publish'>
  topics: { events: string; deadLetter: string }
}

/**
 * One callback, from raw bytes to an answer. Order matters: identity first (a forged body gets no
 * schema details), then the nonce (a replay is never stored), then the schema. An authentic callback
 * is never dropped: if its shape is unknown it goes to the dead-letter topic, and either way the
 * answer is 2xx only once the record is durable (Kafka, or the fsynced spool).
 */
export async function handleCallback(
  raw: Buffer,
  encoding: BodyEncoding,
  deps: CallbackDeps,
): Promise<Answer> {
  const parsed = parseBody(raw, encoding)
  if (!parsed.ok) return { status: 400, reason: parsed.reason, detail: parsed.detail, outcome: parsed.reason }
  const eventName =
    typeof parsed.body.event === 'string' && isCallbackEvent(parsed.body.event) ? parsed.body.event : 'other'

  const auth = callbackAuthFields(parsed.body)
  const now = deps.clock.now()
  const verified = verifyCallback(auth, {
    apps: deps.apps,
    nowMs: now,
    freshnessWindowMs: deps.freshnessWindowMs,
  })
  if (!verified.ok) {
    if (verified.status === 401) return unauthenticated(verified.reason, eventName)
    return {
      status: verified.status,
      reason: verified.reason,
      detail: verified.detail,
      outcome: verified.reason,
      event: eventName,
    }
  }
  const appId = verified.app.appId

  const digest = hash('sha256', raw, 'hex')
  let claim: NonceClaim
  try {
    claim = await deps.nonces.claim(
      // `<appid>:<timestamp>:<nonce>`, joined into one flat string: a template literal makes a tree of
      // string pieces, which the in-memory store would keep for the whole freshness window (~100 bytes
      // more an entry, and more for the collector to walk).
      [appId, verified.timestamp, verified.nonce].join(':'),
      digest,
      verified.timestampSec * 1000 + deps.freshnessWindowMs,
    )
  } catch (error) {
    if (!isIngestError(error, 'NONCE_STORE_UNAVAILABLE')) throw error
    return unavailable(
      'nonce_store_unavailable',
      'the replay check cannot be made right now; retry',
      eventName,
    )
  }
  switch (claim.kind) {
    case 'reused':
      return unauthenticated('nonce_reused', eventName)
    case 'duplicate':
      return { status: 200, reason: 'duplicate', outcome: 'duplicate', event: eventName }
    case 'in_flight':
      return (await claim.stored)
        ? { status: 200, reason: 'duplicate', outcome: 'duplicate', event: eventName }
        : unavailable(
            'store_failed',
            'the first attempt of this callback could not be stored; retry',
            eventName,
          )
    case 'in_flight_elsewhere':
      return unavailable('in_flight', 'this callback is being stored by another replica; retry', eventName)
    case 'new':
      break
    default:
      return claim satisfies never
  }

  // Every path from here settles the claim: a claim left pending would make ZEGO's retries wait forever.
  let stored = false
  try {
    const { record, deadLettered, eventId } = toRecord(parsed.body, auth.signature, appId, now, deps.topics)
    const where = await deps.publisher.publish(record)
    stored = true
    if (where === 'dead-letter' || where === 'quarantine') return setAside(where, eventName)
    const outcome = deadLettered ? 'dead_lettered' : where === 'kafka' ? 'stored' : 'spooled'
    return {
      status: 200,
      outcome,
      event: eventName,
      appId,
      eventId,
      ...(deadLettered ? { reason: 'dead_lettered', detail: deadLettered } : {}),
    }
  } catch (error) {
    if (isIngestError(error, 'SPOOL_FULL'))
      return unavailable('spool_full', 'Kafka is unreachable and the spool is full', eventName)
    if (isIngestError(error, 'CLOSED'))
      return unavailable('shutting_down', 'ingest is shutting down', eventName)
    return unavailable(
      'store_failed',
      `the callback could not be stored: ${(error as Error).message}`,
      eventName,
    )
  } finally {
    await claim.settle(stored)
  }
}

/**
 * Kafka can never take this record (larger than a batch may be): ZEGO's retry could not do better, so
 * the answer is a 4xx. The callback is kept (dead-letter topic, or the quarantine file), so the nonce
 * counts as stored and an identical retry is answered as a duplicate.
 */
function setAside(where: 'dead-letter' | 'quarantine', event: string): Answer {
  const kept = where === 'dead-letter' ? 'on the dead-letter topic' : "in ingest's quarantine file"
  return {
    status: 413,
    reason: 'record_too_large',
    detail: `the callback makes a record Kafka cannot take; it is kept ${kept}, not as an event`,
    outcome: 'set_aside',
    event,
  }
}

/**
 * Every authentication failure gets the same public answer, so a caller cannot tell an AppID we serve
 * from one we do not (nor a known app's stale timestamp from a bad signature). The real reason is the
 * outcome: the access log line and the requests metric's label.
 */
function unauthenticated(outcome: string, event: string): Answer {
  return {
    status: 401,
    reason: 'unauthenticated',
    detail: 'the callback is not signed by a served app within the freshness window, or it was replayed',
    outcome,
    event,
  }
}

function unavailable(reason: IngestAnswerReason, detail: string, event: string): Answer {
  // 503 makes ZEGO retry (2, 4, 8, 16, 32 s); Retry-After is for anyone else.
  return { status: 503, reason, detail, outcome: reason, event, headers: { 'retry-after': '1' } }
}

function toRecord(
  body: Record<string, unknown>,
  signature: string | null,
  appId: number,
  receivedAt: number,
  topics: CallbackDeps['topics'],
): { record: SpoolRecord; deadLettered: string | null; eventId: string } {
  const parsed = parseCallback(body)
  let reason: string
  if (parsed.ok) {
    try {
      const event = toEvent(parsed.callback, { receivedAt })
      return {
        record: {
          topic: topics.events,
          key: appKey(appId),
          value: encodeEvent(event),
          metadata: eventRecordMetadata(event),
        },
        deadLettered: null,
        eventId: event.id,
      }
    } catch (error) {
      reason = `normalising failed: ${(error as Error).message}`
    }
  } else {
    reason = `${parsed.kind}: ${parsed.reason}`
  }
  // Never the bytes as they came: they hold the signature, nonce and timestamp, which together let
  // whoever reads the topic sign another body. The body as parsed (JSON or form), as JSON, without them.
  const deadLetter: DeadLetter = {
    v: 1,
    source: 'ingest:callback',
    reason,
    receivedAt,
    appId,
    payload: JSON.stringify(withoutCallbackSecrets(body)),
    ...(signature === null ? {} : { signatureSha256: signatureSha256(signature) }),
  }
  return {
    record: {
      topic: topics.deadLetter,
      key: appKey(appId),
      value: encodeDeadLetter(deadLetter),
      metadata: deadLetterRecordMetadata(deadLetter),
    },
    deadLettered: reason,
    eventId: deadLetterId(deadLetter),
  }
}
