// Distinct signed `stream_create` callbacks for the HTTP benches. A signature covers
// (secret, timestamp, nonce) only, so the file holds one `timestamp nonce signature` line per callback
// and the body is built around it from one template — the same template in TypeScript (callbackBody,
// which test/wrk-paced.test.ts checks wrk's bodies against) and in Lua (wrk's callbacks.lua). Signing
// in Lua would cost the load generator CPU that the server under test needs, so every callback is
// signed here, before the run, with a fresh timestamp.
import { createWriteStream } from 'node:fs'
import { readFile } from 'node:fs/promises'
import { callbackSignature } from '@mixguard/zego-api'

export const BENCH_APP_ID = 4001
export const BENCH_CALLBACK_SECRET = 'bench-callback-secret-0123'

export interface SignedAuth {
  timestamp: string
  nonce: string
  signature: string
}

/** Writes `count` signed auth triples (nonces `<run>-<i>`, all distinct) to `path`, one per line. */
export async function writeSignedCallbacks(
  path: string,
  count: number,
  run: string,
  secret = BENCH_CALLBACK_SECRET,
): Promise<void> {
  const timestamp = String(Math.floor(Date.now() / 1000))
  const out = createWriteStream(path)
  const chunk: string[] = []
  for (let i = 0; i < count; i++) {
    const nonce = `${run}-${i}`
    chunk.push(`${timestamp} ${nonce} ${callbackSignature(secret, timestamp, nonce)}\n`)
    if (chunk.length === 10_000 || i === count - 1) {
      if (!out.write(chunk.join(''))) await new Promise<void>((resolve) => out.once('drain', () => resolve()))
      chunk.length = 0
    }
  }
  await new Promise<void>((resolve, reject) =>
    out.end((error?: Error | null) => (error ? reject(error) : resolve())),
  )
}

export async function readSignedCallbacks(path: string): Promise<SignedAuth[]> {
  return (await readFile(path, 'utf8'))
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => {
      const [timestamp = '', nonce = '', signature = ''] = line.split(' ')
      return { timestamp, nonce, signature }
    })
}

/** The callback body; keep in step with `body()` in callbacks.lua. `i` picks the room (200 rooms). */
export function callbackBody(auth: SignedAuth, i: number, appId = BENCH_APP_ID): string {
  const { timestamp, nonce, signature } = auth
  const room = `room-${i % 200}`
  return `{"event":"stream_create","appid":"${appId}","timestamp":"${timestamp}","nonce":"${nonce}","signature":"${signature}","room_id":"${room}","room_session_id":"${900000 + (i % 200)}","user_id":"user-${nonce}","user_name":"user-${nonce}","channel_id":"${room}","stream_id":"stream-${nonce}","stream_sid":"sid-${nonce}","stream_alias":"stream-${nonce}","stream_seq":"1","create_time":"${timestamp}","create_time_ms":"${timestamp}123","recreate":"0","extra_info":"","title":"","stream_attr":"{\\"cid\\":0}","publish_id":"user-${nonce}","publish_name":"user-${nonce}","rtmp_url":["rtmp://example.invalid/live/stream-${nonce}"],"hls_url":["https://example.invalid/live/stream-${nonce}.m3u8"],"hdl_url":["https://example.invalid/live/stream-${nonce}.flv"],"pic_url":[]}`
}
