import { parse } from 'node:querystring'
import { toEvent } from './callback-event.ts'
import { parseCallback, type ZegoCallback } from './callbacks.ts'
import type { ZegoEvent } from './events.ts'

/**
 * ZEGO's documented example shapes (docs/zego.md §7.4–7.8), with illustrative values of our own.
 * Used by the tests only; not exported from the package.
 */
export const streamCreateExample = {
  event: 'stream_create',
  appid: '4001',
  timestamp: '1700000000',
  nonce: '8812',
  signature: 'a'.repeat(40),
  room_id: 'r-7',
  room_session_id: '99001',
  user_id: 'u-1',
  user_name: 'alice',
  channel_id: 'r-7',
  stream_id: 's-1',
  stream_sid: 's-1150a',
  title: '',
  stream_alias: 's-1',
  stream_attr: '{"cid":0}',
  stream_seq: '12',
  create_time: '1700000000',
  create_time_ms: '1700000000123',
  extra_info: '',
  recreate: '0',
  publish_id: 'u-1',
  publish_name: 'alice',
  rtmp_url: ['rtmp://play.example/live/s-1'],
  hls_url: ['https://play.example/live/s-1.m3u8'],
  hdl_url: ['https://play.example/live/s-1.flv'],
  pic_url: ['https://pic.example/s-1.jpg'],
}

export const streamCloseExample = {
  event: 'stream_close',
  appid: '4001',
  timestamp: '1700000500',
  nonce: '8813',
  signature: 'b'.repeat(40),
  room_id: 'r-7',
  room_session_id: '99001',
  user_id: 'u-1',
  user_name: 'alice',
  channel_id: 'r-7',
  type: '1',
  stream_alias: 's-1',
  stream_id: 's-1',
  stream_sid: 's-1150a',
  stream_seq: '13',
  third_define_data: '',
  create_time_ms: '1700000000123',
  destroy_timemillis: '1700000500456',
}

export const mixStartExample = {
  appid: '4001',
  event: 'mix_start',
  seq: '56',
  task_id: '4001:mix-r7',
  channel_id: 'r-7',
  publish_id: 'svc-mixer',
  mix_url: 'rtmp://push.example/live/mix-r7-out',
  mix_stream_alias: 'mix-r7-out',
  rtmp_urls: ['rtmp://play.example/live/mix-r7-out'],
  hls_urls: ['https://play.example/live/mix-r7-out.m3u8'],
  hdl_urls: ['https://play.example/live/mix-r7-out.flv'],
  rtmp_url: 'rtmp://play.example/live/mix-r7-out',
  hls_url: 'https://play.example/live/mix-r7-out.m3u8',
  hdl_url: 'https://play.example/live/mix-r7-out.flv',
  stream_alias: 'mix-r7-out',
  timestamp: '1700000100',
  nonce: '88120',
  signature: 'c'.repeat(40),
}

export const mixStopExample = {
  appid: '4001',
  event: 'mix_stop',
  seq: '57',
  task_id: '4001:mix-r7',
  channel_id: 'r-7',
  publish_id: 'svc-mixer',
  mix_url: 'rtmp://push.example/live/mix-r7-out',
  mix_stream_alias: 'mix-r7-out',
  timestamp: '1700000900',
  nonce: '88121',
  signature: 'd'.repeat(40),
}

/** room_close as documented: appid, timestamp and room_session_id are JSON numbers. */
export const roomCloseExample = {
  event: 'room_close',
  appid: 4001,
  timestamp: 1700001000,
  nonce: '8899',
  signature: 'e'.repeat(40),
  room_id: 'r-7',
  room_session_id: 99001,
  close_reason: 1,
  room_close_time: '1700000999000',
}

const NUMERIC = new Set([
  'appid',
  'timestamp',
  'room_session_id',
  'stream_seq',
  'create_time',
  'create_time_ms',
  'recreate',
  'type',
  'destroy_timemillis',
  'seq',
  'close_reason',
  'room_close_time',
])

/** The same body with every numeric field as a JSON number (the 2022 pages typed them Uint/Int). */
export function withNumbers(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(body).map(([k, v]) => [k, NUMERIC.has(k) && typeof v === 'string' ? Number(v) : v]),
  )
}

/** The same body with every numeric field as a string (as the stream and mix pages document). */
export function withStrings(body: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).map(([k, v]) => [k, typeof v === 'number' ? String(v) : v]))
}

/**
 * The body as an application/x-www-form-urlencoded request would reach a handler: encoded to the wire
 * format (arrays as repeated keys, or as `key[]` when `brackets`), then parsed back the way Node's
 * querystring (Express's non-extended urlencoded parser) does, which yields a null-prototype record.
 */
export function asForm(body: Record<string, unknown>, brackets = false): Record<string, string | string[]> {
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(body)) {
    if (Array.isArray(value))
      for (const item of value) params.append(brackets ? `${key}[]` : key, String(item))
    else params.append(key, String(value))
  }
  return parse(params.toString()) as Record<string, string | string[]>
}

/** The body without some fields. */
export function omit(body: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(body).filter(([k]) => !keys.includes(k)))
}

/** The body parsed as a callback; a body that does not parse fails the test with the reason. */
export function parsedCallback(body: unknown): ZegoCallback {
  const result = parseCallback(body)
  if (!result.ok) throw new Error(result.reason)
  return result.callback
}

/** The body's event, as ingest makes it on receipt (at 1_700_002_000_000 unless `receivedAt` says). */
export function callbackEvent(body: unknown, receivedAt = 1_700_002_000_000): ZegoEvent {
  return toEvent(parsedCallback(body), { receivedAt })
}
