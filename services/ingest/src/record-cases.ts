import { Secret } from '@mixguard/service-kit'
import { callbackSignature } from '@mixguard/zego-api'
import { createAppRegistry } from './apps.ts'
import type { BodyEncoding } from './body.ts'
import { handleCallback } from './callback-route.ts'
import { createMemoryNonceStore } from './memory-nonce-store.ts'
import type { SpoolRecord } from './spool-format.ts'

/**
 * Test support (not exported): callbacks of every shape ingest stores, and the records it makes of
 * them, as text. record-bytes.test.ts holds these against record-bytes.golden.json, which main's code
 * wrote before the callback path was made faster: the events topic's bytes may not change.
 */
const NOW = 1_700_000_000_000
const SECRET = 'golden-secret'
const TIMESTAMP = String(NOW / 1000)

/** A record as the Kafka link hands it on: topic, key, value (UTF-8), timestamp and headers. */
export interface RecordText {
  case: string
  status: number
  topic: string
  key: string | null
  value: string
  timestamp: string | undefined
  headers: Record<string, string> | undefined
}

interface Case {
  name: string
  encoding: BodyEncoding
  body: string
}

const sign = (nonce: string): string => callbackSignature(SECRET, TIMESTAMP, nonce)

/** The fields every callback carries, first (as ZEGO sends them). */
const auth = (event: string, nonce: string): string =>
  `"event":"${event}","appid":"4001","timestamp":"${TIMESTAMP}","nonce":"${nonce}","signature":"${sign(nonce)}"`

const json = (name: string, event: string, rest: string): Case => ({
  name,
  encoding: 'json',
  body: `{${auth(event, name)}${rest === '' ? '' : `,${rest}`}}`,
})

const benchStream = (nonce: string) =>
  `"room_id":"room-7","room_session_id":"900007","user_id":"user-${nonce}","user_name":"user-${nonce}","channel_id":"room-7","stream_id":"stream-${nonce}","stream_sid":"sid-${nonce}","stream_alias":"stream-${nonce}","stream_seq":"1","create_time":"${TIMESTAMP}","create_time_ms":"${TIMESTAMP}123","recreate":"0","extra_info":"","title":"","stream_attr":"{\\"cid\\":0}","publish_id":"user-${nonce}","publish_name":"user-${nonce}","rtmp_url":["rtmp://example.invalid/live/stream-${nonce}"],"hls_url":["https://example.invalid/live/stream-${nonce}.m3u8"],"hdl_url":["https://example.invalid/live/stream-${nonce}.flv"],"pic_url":[]`

const form = (name: string, fields: Array<[string, string]>): Case => ({
  name,
  encoding: 'form',
  body: new URLSearchParams([
    ['event', 'stream_create'],
    ['appid', '4001'],
    ['timestamp', TIMESTAMP],
    ['nonce', name],
    ['signature', sign(name)],
    ...fields,
  ]).toString(),
})

const streamFields: Array<[string, string]> = [
  ['room_id', 'r-7'],
  ['room_session_id', '99001'],
  ['user_id', 'u-1'],
  ['stream_id', 's-1'],
  ['stream_sid', 's-1-sid'],
  ['stream_seq', '12'],
  ['create_time_ms', '1700000000123'],
  ['recreate', '1'],
]

export const CASES: readonly Case[] = [
  json('bench-stream-create', 'stream_create', benchStream('bench')),
  json(
    'stream-create-numbers-escapes-extras',
    'stream_create',
    `"room_id":"r%2F7","room_session_id":99001,"user_id":"u%201","stream_id":"s-1","stream_sid":"s-1-sid","stream_seq":12,"create_time":1700000000,"recreate":true,"title":"50% off, caf\\u00e9 \u{1F600}","rtmp_url":["rtmp%3A%2F%2Fh%2Fs","%252F"],"hls_url":"https://h/s.m3u8","zz_new":{"b":[1,{"y":2,"x":null}],"a":"%41"},"10":"index key","2":"another","aa":false`,
  ),
  json(
    'stream-create-legacy-names',
    'stream_create',
    `"channel_id":"r-9","room_session_id":"5","stream_alias":"s-9","publish_id":"u-9","stream_sid":"sid-9","create_time_ms":""`,
  ),
  json(
    'stream-close',
    'stream_close',
    `"room_id":"r-7","room_session_id":"99001","user_id":"u-1","user_name":"alice","channel_id":"r-7","type":"1","stream_alias":"s-1","stream_id":"s-1","stream_sid":"s-1150a","stream_seq":"13","third_define_data":"","create_time_ms":"1700000000123","destroy_timemillis":"1699999999456"`,
  ),
  json(
    'mix-start',
    'mix_start',
    `"seq":"56","task_id":"4001:mix-r7","channel_id":"r-7","publish_id":"svc","mix_url":"rtmp://push/live/mix","mix_stream_alias":"mix","rtmp_urls":["rtmp://play/live/mix"],"hls_urls":["https://play/live/mix.m3u8"],"hdl_urls":[],"rtmp_url":"rtmp://play/live/mix","stream_alias":"mix"`,
  ),
  json(
    'mix-stop',
    'mix_stop',
    `"seq":57,"task_id":"mix-r7","channel_id":"","publish_id":"svc","mix_url":"","mix_stream_alias":"mix"`,
  ),
  json(
    'room-close-numbers',
    'room_close',
    `"room_id":"r-7","room_session_id":99001,"close_reason":1,"room_close_time":"1699999999000"`,
  ),
  json(
    'event-time-implausible',
    'room_close',
    `"room_id":"r-7","room_session_id":"1","close_reason":"0","room_close_time":"1"`,
  ),
  json('proto-key', 'stream_create', `${benchStream('proto')},"__proto__":{"x":"1"},"constructor":"c"`),
  json('unknown-event', 'stream_pause', `"room_id":"r-7","extra":[1,2]`),
  json('malformed-dead-letter', 'stream_create', `"room_id":"r-7","recreate":"maybe"`),
  form('form-repeated-keys', [
    ...streamFields,
    ['rtmp_url', 'rtmp://a/1'],
    ['rtmp_url', 'rtmp://a/2'],
    ['hls_url', 'https%3A%2F%2Fh%2Fs'],
  ]),
  form('form-bracket-keys', [...streamFields, ['hdl_url[]', 'https://a/1.flv'], ['pic_url[]', 'p']]),
]

/** Each case through handleCallback (a fresh nonce store, a fixed clock), as the records it made. */
export async function recordsOfCases(): Promise<RecordText[]> {
  const clock = { now: () => NOW }
  const out: RecordText[] = []
  for (const c of CASES) {
    const stored: SpoolRecord[] = []
    const answer = await handleCallback(Buffer.from(c.body, 'utf8'), c.encoding, {
      apps: createAppRegistry([{ appId: 4001, callbackSecrets: [new Secret(SECRET)], serverSecret: null }]),
      clock,
      freshnessWindowMs: 300_000,
      nonces: createMemoryNonceStore({ clock, maxEntries: 100 }),
      publisher: {
        publish: async (record) => {
          stored.push(record)
          return 'kafka'
        },
      },
      topics: { events: 'golden.events', deadLetter: 'golden.dead-letter' },
    })
    for (const r of stored) {
      // The text is the bytes: a value that is not valid UTF-8 would not survive the round trip.
      if (!Buffer.from(r.value.toString('utf8'), 'utf8').equals(r.value))
        throw new Error(`case ${c.name}: not UTF-8`)
      out.push({
        case: c.name,
        status: answer.status,
        topic: r.topic,
        key: r.key,
        value: r.value.toString('utf8'),
        timestamp: r.metadata?.timestamp,
        headers: r.metadata?.headers,
      })
    }
    if (stored.length !== 1)
      throw new Error(`case ${c.name}: ${stored.length} records, answer ${answer.status}`)
  }
  return out
}
