import { createHash } from 'node:crypto'
import { decodeDeadLetter, decodeEvent, recordMetadataOfValue } from '@mixguard/contracts'
import { Secret } from '@mixguard/service-kit'
import { callbackSignature } from '@mixguard/zego-api'
import { describe, expect, test } from 'vitest'
import { nestedJson } from './app-harness.ts'
import { createAppRegistry } from './apps.ts'
import { type CallbackDeps, handleCallback } from './callback-route.ts'
import { IngestError } from './errors.ts'
import { createMemoryNonceStore } from './memory-nonce-store.ts'
import type { NonceStore } from './nonce-store.ts'
import type { Durability } from './publisher.ts'
import type { SpoolRecord } from './spool-format.ts'

const NOW = 1_700_000_000_000
const clock = { now: () => NOW }
const apps = createAppRegistry([
  { appId: 4001, callbackSecrets: [new Secret('old-secret'), new Secret('new-secret')], serverSecret: null },
])

function deps(publish: (r: SpoolRecord) => Promise<Durability> = async () => 'kafka'): CallbackDeps & {
  stored: SpoolRecord[]
} {
  const stored: SpoolRecord[] = []
  return {
    stored,
    apps,
    clock,
    freshnessWindowMs: 300_000,
    nonces: createMemoryNonceStore({ clock, maxEntries: 1000 }),
    publisher: {
      publish: async (r) => {
        const where = await publish(r)
        stored.push(r)
        return where
      },
    },
    topics: { events: 't.events', deadLetter: 't.dead-letter' },
  }
}

function signed(fields: Record<string, unknown>, secret = 'new-secret'): Record<string, unknown> {
  const timestamp = fields.timestamp ?? String(NOW / 1000)
  const nonce = fields.nonce ?? '8812'
  return {
    ...fields,
    timestamp,
    nonce,
    signature: callbackSignature(secret, String(timestamp), String(nonce)),
  }
}

const streamCreate = {
  event: 'stream_create',
  appid: '4001',
  room_id: 'r-7',
  room_session_id: '99001',
  user_id: 'u-1',
  stream_id: 's-1',
  stream_sid: 's-1-sid',
  stream_seq: '12',
  create_time_ms: '1700000000123',
  recreate: '0',
}

const json = (body: Record<string, unknown>) => Buffer.from(JSON.stringify(body))

describe('handleCallback', () => {
  test('an authentic callback is stored once, normalised, keyed by AppID, and acknowledged', async () => {
    const d = deps()
    const answer = await handleCallback(json(signed(streamCreate)), 'json', d)
    expect(answer).toMatchObject({ status: 200, outcome: 'stored', event: 'stream_create' })
    expect(d.stored).toHaveLength(1)
    const record = d.stored[0] as SpoolRecord
    expect(record).toMatchObject({ topic: 't.events', key: '4001' })
    const decoded = decodeEvent(record.value)
    expect(decoded.ok && decoded.event).toMatchObject({
      type: 'stream_created',
      appId: 4001,
      body: { streamId: 's-1' },
    })
  })

  test('a record carries the timestamp and headers its value gives, so the Kafka link need not read it back', async () => {
    const d = deps()
    await handleCallback(json(signed(streamCreate)), 'json', d)
    await handleCallback(json(signed({ ...streamCreate, nonce: '8813', room_id: '' })), 'json', d)
    const [event, deadLetter] = d.stored as [SpoolRecord, SpoolRecord]
    expect(deadLetter.topic).toBe('t.dead-letter')
    for (const record of [event, deadLetter]) {
      expect(record.metadata?.headers['mixguard-id']).toMatch(/^[0-9a-f]{64}$/)
      expect(record.metadata).toEqual(recordMetadataOfValue(record.value))
    }
  })

  test('either secret of a rotation is accepted; a third is a forgery', async () => {
    expect((await handleCallback(json(signed(streamCreate, 'old-secret')), 'json', deps())).status).toBe(200)
    const d = deps()
    const forged = await handleCallback(json(signed(streamCreate, 'guessed')), 'json', d)
    expect(forged).toMatchObject({ status: 401, reason: 'unauthenticated', outcome: 'bad_signature' })
    expect(d.stored).toEqual([])
  })

  test('unknown app and stale or future timestamps are 401, and nothing is stored', async () => {
    const d = deps()
    const unknown = await handleCallback(json(signed({ ...streamCreate, appid: '999' })), 'json', d)
    expect(unknown).toMatchObject({ status: 401, reason: 'unauthenticated', outcome: 'unknown_app' })
    const old = await handleCallback(
      json(signed({ ...streamCreate, timestamp: String(NOW / 1000 - 301) })),
      'json',
      d,
    )
    expect(old).toMatchObject({ status: 401, reason: 'unauthenticated', outcome: 'stale_timestamp' })
    const future = await handleCallback(
      json(signed({ ...streamCreate, timestamp: String(NOW / 1000 + 301) })),
      'json',
      d,
    )
    expect(future).toMatchObject({ status: 401, reason: 'unauthenticated', outcome: 'stale_timestamp' })
    const edge = await handleCallback(
      json(signed({ ...streamCreate, timestamp: String(NOW / 1000 - 300) })),
      'json',
      d,
    )
    expect(edge.status).toBe(200)
    expect(d.stored).toHaveLength(1)
  })

  test('an identical retry is a duplicate: acknowledged, not stored again', async () => {
    const d = deps()
    const body = json(signed(streamCreate))
    expect((await handleCallback(body, 'json', d)).outcome).toBe('stored')
    expect(await handleCallback(body, 'json', d)).toMatchObject({ status: 200, reason: 'duplicate' })
    expect(d.stored).toHaveLength(1)
  })

  test('a seen signature with another body is a forgery', async () => {
    const d = deps()
    const first = signed(streamCreate)
    await handleCallback(json(first), 'json', d)
    const replay = await handleCallback(json({ ...first, stream_id: 's-evil' }), 'json', d)
    expect(replay).toMatchObject({ status: 401, reason: 'unauthenticated', outcome: 'nonce_reused' })
    expect(d.stored).toHaveLength(1)
  })

  test('a retry while the first attempt is still being stored answers as the first attempt does', async () => {
    let release!: () => void
    const gate = new Promise<void>((r) => {
      release = r
    })
    const d = deps(async () => {
      await gate
      return 'spool'
    })
    const body = json(signed(streamCreate))
    const first = handleCallback(body, 'json', d)
    const second = handleCallback(body, 'json', d)
    release()
    expect(await first).toMatchObject({ status: 200, outcome: 'spooled' })
    expect(await second).toMatchObject({ status: 200, reason: 'duplicate' })
    expect(d.stored).toHaveLength(1)
  })

  test('a failed store answers 503 and frees the nonce, so the retry is stored', async () => {
    let full = true
    const d = deps(async () => {
      if (full) throw new IngestError('SPOOL_FULL', 'full', { retryable: true })
      return 'spool'
    })
    const body = json(signed(streamCreate))
    expect(await handleCallback(body, 'json', d)).toMatchObject({ status: 503, reason: 'spool_full' })
    full = false
    expect(await handleCallback(body, 'json', d)).toMatchObject({ status: 200, outcome: 'spooled' })
    expect(d.stored).toHaveLength(1)
  })

  test('a record Kafka can never take is 413 record_too_large; it is kept, so the identical retry is a duplicate', async () => {
    for (const where of ['dead-letter', 'quarantine'] as const) {
      const d = deps(async () => where)
      const body = json(signed(streamCreate))
      expect(await handleCallback(body, 'json', d)).toMatchObject({
        status: 413,
        reason: 'record_too_large',
        outcome: 'set_aside',
        event: 'stream_create',
      })
      expect(await handleCallback(body, 'json', d)).toMatchObject({ status: 200, reason: 'duplicate' })
      expect(d.stored).toHaveLength(1)
    }
  })

  test('authentic but of an unknown type or shape: dead-lettered with the reason, and acknowledged', async () => {
    const d = deps()
    const unknown = await handleCallback(json(signed({ event: 'stream_paused', appid: '4001' })), 'json', d)
    expect(unknown).toMatchObject({ status: 200, reason: 'dead_lettered', outcome: 'dead_lettered' })
    const missing = await handleCallback(
      json(signed({ ...streamCreate, stream_id: undefined, stream_alias: undefined, nonce: '2' })),
      'json',
      d,
    )
    expect(missing).toMatchObject({ status: 200, reason: 'dead_lettered' })
    expect(d.stored.map((r) => r.topic)).toEqual(['t.dead-letter', 't.dead-letter'])
    const letter = decodeDeadLetter((d.stored[0] as SpoolRecord).value)
    expect(letter.ok && letter.deadLetter).toMatchObject({ appId: 4001, source: 'ingest:callback' })
    expect(letter.ok && letter.deadLetter.reason).toContain('unknown_event')
    const shape = decodeDeadLetter((d.stored[1] as SpoolRecord).value)
    expect(shape.ok && shape.deadLetter.reason).toContain('stream_id')
  })

  test('malformed input before authentication is 400 with the reason', async () => {
    const d = deps()
    expect(await handleCallback(Buffer.from('{nope'), 'json', d)).toMatchObject({
      status: 400,
      reason: 'malformed_body',
    })
    expect(await handleCallback(Buffer.from('[1,2]'), 'json', d)).toMatchObject({
      status: 400,
      reason: 'malformed_body',
    })
    expect(await handleCallback(Buffer.from([0xff, 0xfe]), 'json', d)).toMatchObject({
      status: 400,
      reason: 'malformed_body',
    })
    const unsigned = await handleCallback(json({ ...streamCreate }), 'json', d)
    expect(unsigned).toMatchObject({ status: 400, reason: 'missing_auth_field' })
    expect(unsigned.detail).toContain('signature')
    const badTime = await handleCallback(json(signed({ ...streamCreate, timestamp: 'yesterday' })), 'json', d)
    expect(badTime).toMatchObject({ status: 400, reason: 'invalid_timestamp' })
    expect(d.stored).toEqual([])
  })

  test('form bodies and room_close with numeric fields are verified the same way', async () => {
    const d = deps()
    const form = new URLSearchParams(signed(streamCreate) as Record<string, string>).toString()
    expect(await handleCallback(Buffer.from(form), 'form', d)).toMatchObject({
      status: 200,
      outcome: 'stored',
    })
    const roomClose = signed({
      event: 'room_close',
      appid: 4001,
      timestamp: NOW / 1000,
      nonce: '77',
      room_id: 'r-7',
      room_session_id: 99001,
      close_reason: 0,
      room_close_time: '1700000000999',
    })
    expect(await handleCallback(json(roomClose), 'json', d)).toMatchObject({
      status: 200,
      event: 'room_close',
    })
    expect(d.stored).toHaveLength(2)
  })
})

describe('hostile bodies', () => {
  const deep = (body: Record<string, unknown>, field: string, depth: number) =>
    Buffer.from(JSON.stringify({ ...body, [field]: '@' }).replace('"@"', nestedJson(depth)))

  test('an authentic callback with a field nested 100,000 deep is 400, and its identical retry too (no hang)', async () => {
    const d = deps()
    const body = deep(signed(streamCreate), 'extra', 100_000)
    const first = await handleCallback(body, 'json', d)
    expect(first).toMatchObject({ status: 400, reason: 'body_too_deep' })
    // The retry must not wait on a claim that nobody will ever settle.
    const retry = await handleCallback(body, 'json', d)
    expect(retry).toMatchObject({ status: 400, reason: 'body_too_deep' })
    expect(d.stored).toEqual([])
  })

  test('nesting in appid or signature is 400 without a valid signature, never a stack overflow', async () => {
    const d = deps()
    for (const field of ['appid', 'signature', 'nonce', 'timestamp']) {
      const answer = await handleCallback(deep(streamCreate, field, 100_000), 'json', d)
      expect(answer).toMatchObject({ status: 400, reason: 'body_too_deep' })
    }
    expect(d.stored).toEqual([])
  })

  test('nesting within the bound is kept: the callback is stored with its extra field', async () => {
    const d = deps()
    const answer = await handleCallback(deep(signed(streamCreate), 'extra', 30), 'json', d)
    expect(answer).toMatchObject({ status: 200, outcome: 'stored' })
  })

  test('an empty nonce is 401 even with a valid signature over it', async () => {
    const d = deps()
    const answer = await handleCallback(json(signed({ ...streamCreate, nonce: '' })), 'json', d)
    expect(answer).toMatchObject({ status: 401, reason: 'unauthenticated', outcome: 'empty_nonce' })
    expect(d.stored).toEqual([])
  })

  test('a first attempt that fails with an unexpected error frees the nonce: the retry gets its proper answer', async () => {
    let broken = true
    const d = deps(async () => {
      if (broken) throw new TypeError('unexpected')
      return 'kafka'
    })
    const body = json(signed(streamCreate))
    expect(await handleCallback(body, 'json', d)).toMatchObject({ status: 503, reason: 'store_failed' })
    broken = false
    expect(await handleCallback(body, 'json', d)).toMatchObject({ status: 200, outcome: 'stored' })
  })

  test('no record handed to the publisher (and so to the spool) holds the signature or nonce', async () => {
    const d = deps()
    const sent: Record<string, unknown>[] = []
    const send = async (fields: Record<string, unknown>, encoding: 'json' | 'form') => {
      const body = signed({ ...fields, nonce: `n${sent.length}-7f3a9c` })
      sent.push(body)
      const bytes =
        encoding === 'json'
          ? json(body)
          : Buffer.from(new URLSearchParams(body as Record<string, string>).toString())
      return handleCallback(bytes, encoding, d)
    }
    expect(await send(streamCreate, 'json')).toMatchObject({ outcome: 'stored' })
    expect(await send({ ...streamCreate, event: 'stream_paused' }, 'json')).toMatchObject({
      outcome: 'dead_lettered',
    })
    expect(await send({ ...streamCreate, event: 'stream_paused' }, 'form')).toMatchObject({
      outcome: 'dead_lettered',
    })
    expect(d.stored.map((r) => r.topic)).toEqual(['t.events', 't.dead-letter', 't.dead-letter'])
    for (const record of d.stored) {
      for (const body of sent) {
        expect(record.value.toString()).not.toContain(String(body.signature))
        expect(record.value.toString()).not.toContain(String(body.nonce))
      }
    }
    // The dead letter keeps the body as parsed, as JSON, so it can be re-driven.
    const letter = decodeDeadLetter(d.stored[2]?.value)
    const payload = JSON.parse(letter.ok ? letter.deadLetter.payload : '{}') as Record<string, unknown>
    expect(payload).toMatchObject({ event: 'stream_paused', stream_id: 's-1', appid: '4001' })
    expect(payload).not.toHaveProperty('timestamp')
  })
})

describe('the nonce claim', () => {
  test("is keyed `<appid>:<timestamp>:<nonce>` with the body's sha256 in hex, for any nonce, JSON or form (every replica and version must agree)", async () => {
    const claims: { key: string; digest: string; expiresAt: number }[] = []
    const d = deps()
    const memory = d.nonces
    const recording: NonceStore = {
      kind: 'memory',
      claim: (key, digest, expiresAt) => {
        claims.push({ key, digest, expiresAt })
        return memory.claim(key, digest, expiresAt)
      },
      status: () => memory.status(),
      close: () => memory.close(),
    }
    const nonces = [
      '8812',
      '0012',
      'a:b::c',
      'ä-ö-ü',
      '房间',
      '🎛️',
      'lone-\ud800-surrogate',
      'e\u0301-decomposed',
      ' spaced ',
      'x'.repeat(300),
    ]
    const expected: typeof claims = []
    for (const [i, nonce] of nonces.entries()) {
      const timestamp = String(NOW / 1000 - i)
      const body = signed({ ...streamCreate, timestamp, nonce, stream_id: `s-${i}` })
      const form = i % 2 === 1
      const bytes = form
        ? Buffer.from(new URLSearchParams(body as Record<string, string>).toString())
        : json(body)
      const answer = await handleCallback(bytes, form ? 'form' : 'json', { ...d, nonces: recording })
      expect(answer, nonce).toMatchObject({ status: 200, outcome: 'stored' })
      expected.push({
        key: `${4001}:${timestamp}:${nonce}`,
        digest: createHash('sha256').update(bytes).digest('hex'),
        expiresAt: Number(timestamp) * 1000 + 300_000,
      })
    }
    expect(claims).toEqual(expected)
  })
})
