import { createHash, randomBytes } from 'node:crypto'
import { callbackSignature, signQuery } from '@mixguard/zego-api'
import { request } from 'undici'
import { afterEach, expect, test } from 'vitest'
import { type Collector, collectTopic, testBrokers, uniqueName } from '../../../test/kafka.ts'
import { deadLettersOf, eventsOf, fakeZego, startIngestFixture, topicSize } from './int-support.ts'

/**
 * Issue 9: anyone who can read a topic must not find a signature to forge callbacks with. Signed
 * callbacks of every kind go through a running ingest to the real broker (stored, dead-lettered as
 * unknown or malformed, set aside as too large, JSON and form), then every record of the events and
 * dead-letter topics is searched, byte for byte, for every signature and nonce that was sent.
 */

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const APP = { appId: 4001, serverSecret: 'ss-4001', callbackSecret: 'cs-4001' }
const KiB = 1024

/** Stands in for ZEGO's API: accepts every call. */
async function acceptingZego(): Promise<string> {
  const zego = await fakeZego({ Code: 0, Message: 'success', RequestId: 'r-1' })
  cleanups.push(zego.close)
  return zego.url
}

async function collect(fx: { kafka: Parameters<typeof collectTopic>[0] }, topic: string): Promise<Collector> {
  const c = await collectTopic(fx.kafka, topic)
  cleanups.push(() => c.stop())
  return c
}

test(
  'no event or dead letter on Kafka holds a signature or a nonce that was sent',
  { timeout: 120_000 },
  async () => {
    const fx = await startIngestFixture({
      brokers: testBrokers(),
      prefix: uniqueName('no-secrets'),
      apps: [{ appId: APP.appId, callbackSecrets: [APP.callbackSecret], serverSecret: APP.serverSecret }],
      env: {
        ZEGO_API_BASE_URL: await acceptingZego(),
        // Large enough for a callback the topic cannot take: the publisher sets it aside.
        INGEST_BODY_LIMIT_BYTES: String(4 * 1024 * KiB),
      },
    })
    cleanups.push(() => fx.close())
    const events = await collect(fx, `${fx.prefix}.events`)
    const letters = await collect(fx, `${fx.prefix}.dead-letter`)

    const sent: { signature: string; nonce: string }[] = []
    const sign = (fields: Record<string, unknown>, numericTimestamp = false): Record<string, unknown> => {
      const now = Math.floor(Date.now() / 1000)
      const nonce = randomBytes(8).toString('hex')
      const signature = callbackSignature(APP.callbackSecret, now, nonce)
      sent.push({ signature, nonce })
      // The auth fields first: a record cut short (a set-aside one) keeps its start.
      return { signature, nonce, timestamp: numericTimestamp ? now : String(now), ...fields }
    }
    const post = async (body: Record<string, unknown>, encoding: 'json' | 'form'): Promise<number> => {
      const form = new URLSearchParams()
      for (const [k, v] of Object.entries(body)) form.append(k, String(v))
      const res = await request(`${fx.ingest.url}/zego/callback`, {
        method: 'POST',
        headers: {
          'content-type': encoding === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
        },
        body: encoding === 'json' ? JSON.stringify(body) : form.toString(),
      })
      await res.body.dump()
      return res.statusCode
    }
    const stream = {
      appid: String(APP.appId),
      room_id: 'r-1',
      room_session_id: '9001',
      user_id: 'u-1',
      stream_id: 's-1',
      stream_sid: 's-1-sid',
      stream_seq: '1',
      create_time_ms: String(Date.now()),
      recreate: '0',
    }
    const mix = {
      appid: String(APP.appId),
      seq: '1',
      task_id: `${APP.appId}:mix-1`,
      channel_id: 'r-1',
      publish_id: 'svc',
      mix_url: 'rtmp://x/mix-out',
      mix_stream_alias: 'mix-out',
    }

    // Stored as events.
    expect(await post(sign({ event: 'stream_create', ...stream }), 'json')).toBe(200)
    expect(await post(sign({ event: 'stream_close', ...stream, type: '0' }), 'form')).toBe(200)
    expect(await post(sign({ event: 'mix_start', ...mix }), 'json')).toBe(200)
    expect(await post(sign({ event: 'mix_stop', ...mix }), 'form')).toBe(200)
    const roomClose = { event: 'room_close', appid: APP.appId, room_id: 'r-1', room_session_id: 9001 }
    expect(await post(sign({ ...roomClose, close_reason: 0 }, true), 'json')).toBe(200)
    // Authentic but unusable: dead-lettered by the callback route (unknown type, malformed; JSON, form).
    expect(await post(sign({ event: 'stream_paused', ...stream }), 'json')).toBe(200)
    expect(await post(sign({ event: 'stream_paused', ...stream }), 'form')).toBe(200)
    expect(await post(sign({ event: 'stream_create', ...stream, stream_id: '' }), 'json')).toBe(200)
    // Larger than the topic takes: set aside by the publisher, the start of the record dead-lettered.
    const huge = sign({ event: 'stream_create', ...stream, stream_id: 's-2', pad: 'x'.repeat(1200 * KiB) })
    expect(await post(huge, 'json')).toBe(413)
    // A signed StartMix through the passthrough is recorded as well.
    const signedQuery = signQuery(APP.appId, APP.serverSecret, Date.now())
    sent.push({ signature: signedQuery.Signature, nonce: signedQuery.SignatureNonce })
    const query = new URLSearchParams({ Action: 'StartMix', ...signedQuery })
    const started = await request(`${fx.ingest.url}/zego/?${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ TaskId: 'mix-1', UserId: 'svc', MixInput: [{ StreamId: 's-1' }] }),
    })
    await started.body.dump()
    expect(started.statusCode).toBe(200)

    await events.until('5 callbacks and the StartMix', (r) => r.length >= 6)
    await letters.until('4 dead letters', (r) => r.length >= 4)
    // Every answer came once its record was durable: the totals are final.
    expect(await topicSize(fx.kafka, `${fx.prefix}.events`)).toBe(6)
    expect(await topicSize(fx.kafka, `${fx.prefix}.dead-letter`)).toBe(4)
    expect(
      deadLettersOf(letters)
        .map((d) => d.source)
        .sort(),
    ).toEqual(['ingest:callback', 'ingest:callback', 'ingest:callback', 'ingest:publisher'])

    for (const record of [...events.records, ...letters.records]) {
      const text = record.value.toString('utf8').toLowerCase()
      for (const { signature, nonce } of sent) {
        expect(text, 'a signature is on Kafka').not.toContain(signature)
        expect(text, 'a nonce is on Kafka').not.toContain(nonce)
      }
    }
    // What forensics keeps instead: the signature's sha256 ties a record to the delivery that made it.
    const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')
    const callbackHashes = new Set(sent.slice(0, -1).map((s) => sha256(s.signature)))
    for (const event of eventsOf(events)) {
      for (const key of ['signature', 'nonce', 'timestamp']) expect(event.raw).not.toHaveProperty(key)
      if (event.type !== 'mix_api_call') expect(callbackHashes).toContain(event.signatureSha256)
    }
    for (const letter of deadLettersOf(letters).filter((d) => d.source === 'ingest:callback')) {
      expect(callbackHashes).toContain(letter.signatureSha256)
    }
  },
)

test('an unsigned passthrough call is refused in ZEGO shape and nothing is recorded on Kafka', async () => {
  const fx = await startIngestFixture({
    brokers: testBrokers(),
    prefix: uniqueName('unsigned'),
    apps: [{ appId: APP.appId, callbackSecrets: [APP.callbackSecret], serverSecret: APP.serverSecret }],
    env: { ZEGO_API_BASE_URL: await acceptingZego() },
  })
  cleanups.push(() => fx.close())
  const events = await collect(fx, `${fx.prefix}.events`)
  const startMix = async (params: Record<string, string>, taskId = 'forged') => {
    const res = await request(
      `${fx.ingest.url}/zego/?${new URLSearchParams({ Action: 'StartMix', ...params })}`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          TaskId: taskId,
          UserId: 'svc',
          MixInput: [{ StreamId: 's' }],
        }),
      },
    )
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, unknown> }
  }
  const unsigned = await startMix({ AppId: String(APP.appId) })
  expect(unsigned.status).toBe(401)
  expect(unsigned.body).toMatchObject({ Code: 100000002 })
  const forged = await startMix({ ...signQuery(APP.appId, 'guessed-secret', Date.now()) })
  expect(forged.status).toBe(401)
  expect(forged.body).toMatchObject({ Code: 100000005 })
  // A signed call after them, recorded in order on the same partition (key = AppID): once it is on
  // the topic, anything recorded before it would be too.
  const genuine = await startMix({ ...signQuery(APP.appId, APP.serverSecret, Date.now()) }, 'real')
  expect(genuine.status).toBe(200)
  await events.until('the signed StartMix', (r) => r.length >= 1)
  expect(await topicSize(fx.kafka, `${fx.prefix}.events`)).toBe(1)
  expect(eventsOf(events)[0]).toMatchObject({ type: 'mix_api_call', body: { taskId: 'real' } })
})
