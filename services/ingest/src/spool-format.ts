import { crc32 } from 'node:zlib'
import type { RecordMetadata } from '@mixguard/contracts'

/** One record waiting for Kafka: where it goes and its bytes. */
export interface SpoolRecord {
  topic: string
  key: string | null
  value: Buffer
  /**
   * Its record timestamp and headers, when whoever made the value had them at hand (then the Kafka
   * link need not read the value back). Not stored in the spool: a drained record's are read from its
   * value, which gives the same (contracts' recordMetadataOfValue).
   */
  metadata?: RecordMetadata
}

/**
 * On disk a record is a frame: `u32 length | u32 crc32 | payload`, big-endian, where the checksum
 * covers the length bytes and the payload. A crash mid-append leaves a short or mismatching frame at
 * the tail; reading stops there, so every earlier frame survives untouched.
 * Payload: `u16 topic length | topic | u32 key length (0xffffffff = no key) | key | value`.
 */
const FRAME_HEADER_BYTES = 8
const NO_KEY = 0xffffffff
// No callback comes close; a length beyond this is a torn or corrupt header, not a record.
const MAX_PAYLOAD_BYTES = 64 * 1024 * 1024

export function frameSize(record: SpoolRecord): number {
  const key = record.key === null ? 0 : Buffer.byteLength(record.key, 'utf8')
  return FRAME_HEADER_BYTES + 2 + Buffer.byteLength(record.topic, 'utf8') + 4 + key + record.value.length
}

export function encodeFrame(record: SpoolRecord): Buffer {
  const topic = Buffer.from(record.topic, 'utf8')
  const key = record.key === null ? null : Buffer.from(record.key, 'utf8')
  const payloadLength = 2 + topic.length + 4 + (key?.length ?? 0) + record.value.length
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payloadLength)
  frame.writeUInt32BE(payloadLength, 0)
  let at = FRAME_HEADER_BYTES
  at = frame.writeUInt16BE(topic.length, at)
  at += topic.copy(frame, at)
  at = frame.writeUInt32BE(key === null ? NO_KEY : key.length, at)
  if (key !== null) at += key.copy(frame, at)
  record.value.copy(frame, at)
  frame.writeUInt32BE(checksum(frame, payloadLength), 4)
  return frame
}

function checksum(frame: Buffer, payloadLength: number): number {
  const payload = frame.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + payloadLength)
  return crc32(payload, crc32(frame.subarray(0, 4)))
}

export type FrameRead = { ok: true; record: SpoolRecord; size: number } | { ok: false; reason: string }

/** Reads the frame at `offset`; `ok: false` when the bytes there are not a whole, intact frame. */
export function decodeFrame(buffer: Buffer, offset: number): FrameRead {
  if (buffer.length - offset < FRAME_HEADER_BYTES) return { ok: false, reason: 'short header' }
  const payloadLength = buffer.readUInt32BE(offset)
  if (payloadLength < 6 || payloadLength > MAX_PAYLOAD_BYTES) return { ok: false, reason: 'bad length' }
  const size = FRAME_HEADER_BYTES + payloadLength
  if (buffer.length - offset < size) return { ok: false, reason: 'short payload' }
  const frame = buffer.subarray(offset, offset + size)
  if (frame.readUInt32BE(4) !== checksum(frame, payloadLength))
    return { ok: false, reason: 'checksum mismatch' }
  let at = FRAME_HEADER_BYTES
  const topicLength = frame.readUInt16BE(at)
  at += 2
  if (at + topicLength + 4 > size) return { ok: false, reason: 'bad topic length' }
  const topic = frame.toString('utf8', at, at + topicLength)
  at += topicLength
  const keyLength = frame.readUInt32BE(at)
  at += 4
  let key: string | null = null
  if (keyLength !== NO_KEY) {
    if (at + keyLength > size) return { ok: false, reason: 'bad key length' }
    key = frame.toString('utf8', at, at + keyLength)
    at += keyLength
  }
  // A copy, so a record never pins the whole read buffer.
  return { ok: true, record: { topic, key, value: Buffer.from(frame.subarray(at)) }, size }
}
