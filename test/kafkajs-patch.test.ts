// patches/kafkajs@2.2.4.patch rewrites hot parts of kafkajs's producer encoding (the CRC-32C of each
// record batch, varints, a record's buffer and its headers). Kafka must get the very same bytes: these
// vectors were written by kafkajs 2.2.4 before the patch, and the CRC is checked against RFC 3720's.
import { createHash, randomBytes } from 'node:crypto'
import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
type Bytes = Buffer | string | null
interface Message {
  offsetDelta?: number
  timestampDelta?: number | object
  key: Bytes
  value: Bytes
  headers?: Record<string, Bytes | Bytes[]>
}
const crc32C = require('kafkajs/src/protocol/recordBatch/crc32C') as (buffer: Buffer) => number
const Record = require('kafkajs/src/protocol/recordBatch/record/v0') as (m: Message) => { buffer: Buffer }
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch: (options: Record<string, unknown>) => Promise<{ buffer: Buffer }>
}
const Long = require('kafkajs/src/utils/long') as { fromValue: (v: number) => object }

/** CRC-32C from its definition, one bit at a time (reflected polynomial 0x82F63B78). */
function bitwiseCrc32C(buffer: Buffer): number {
  let crc = ~0
  for (const byte of buffer) {
    crc ^= byte
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1
  }
  return ~crc >>> 0
}

/** Short encodings as hex; long ones as the sha256 of the bytes. */
const digest = (bytes: Buffer) =>
  bytes.length <= 64 ? bytes.toString('hex') : `sha256:${createHash('sha256').update(bytes).digest('hex')}`

describe('the patched CRC-32C', () => {
  it('gives the RFC 3720 check values', () => {
    expect(crc32C(Buffer.from('123456789'))).toBe(0xe3069283)
    expect(crc32C(Buffer.alloc(32))).toBe(0x8a9136aa)
    expect(crc32C(Buffer.alloc(32, 0xff))).toBe(0x62a8ab43)
    expect(crc32C(Buffer.from(Array.from({ length: 32 }, (_, i) => i)))).toBe(0x46dd794e)
    expect(crc32C(Buffer.from(Array.from({ length: 32 }, (_, i) => 31 - i)))).toBe(0x113fdb5c)
    expect(crc32C(Buffer.alloc(0))).toBe(0)
  })

  it('equals the bitwise definition at every length and offset (the 8-byte steps and the tail)', () => {
    const bytes = randomBytes(4096)
    for (let length = 0; length <= 70; length++)
      for (let offset = 0; offset < 8; offset++) {
        const view = bytes.subarray(offset, offset + length)
        expect(crc32C(view)).toBe(bitwiseCrc32C(view))
      }
    expect(crc32C(bytes)).toBe(bitwiseCrc32C(bytes))
  })
})

describe('the patched record encoding', () => {
  const records: Array<[Message, string]> = [
    [
      {
        offsetDelta: 0,
        timestampDelta: 0,
        key: Buffer.from('app-4001'),
        value: Buffer.from('{"v":1}'),
        headers: {},
      },
      '2a000000106170702d343030310e7b2276223a317d00',
    ],
    [
      {
        offsetDelta: 3,
        timestampDelta: 1234,
        key: 'k',
        value: 'héllo wörld',
        headers: { a: 'b', 'mixguard-id': 'abc', multi: ['x', Buffer.from('yz')] },
      },
      '7400a41306026b1a68c3a96c6c6f2077c3b6726c640802610262166d697867756172642d6964066162630a6d756c746902780a6d756c746904797a',
    ],
    [
      { offsetDelta: 200, timestampDelta: -5, key: null, value: Buffer.alloc(300, 7), headers: { e: '' } },
      'sha256:da7fa3faedc5967f55eed677c18cb415794314db954855c278e36b54ca8d480b',
    ],
    [
      { offsetDelta: 70000, timestampDelta: 2 ** 40, key: Buffer.alloc(0), value: null },
      '1a00808080808040e0c508000100',
    ],
    [
      {
        offsetDelta: 1,
        timestampDelta: Long.fromValue(99),
        key: 'x'.repeat(200),
        value: Buffer.alloc(5000, 1),
        headers: { h: 'v'.repeat(130) },
      },
      'sha256:bf92c58f355f1c4fdb8b043a3efd6edcdd692ff72ac67ec94f49c9997de8fa3a',
    ],
  ]

  it.each(records.map(([message, expected], i) => ({ i, message, expected })))(
    'record %# is the bytes kafkajs 2.2.4 wrote before the patch',
    ({ message, expected }) => {
      expect(digest(Record(message).buffer)).toBe(expected)
    },
  )

  it('a record batch (header, CRC, records) is the bytes kafkajs 2.2.4 wrote before the patch', async () => {
    const batch = await RecordBatch({
      firstTimestamp: 1700000000000,
      maxTimestamp: 1700000000123,
      lastOffsetDelta: 1,
      producerId: Long.fromValue(42),
      producerEpoch: 1,
      firstSequence: 7,
      records: records.slice(0, 2).map(([message]) => Record(message)),
    })
    expect(digest(batch.buffer)).toBe(
      'sha256:167f368305470a673bc56d015cb37cc5ee4f526b53283631ab1fd55f614c0962',
    )
  })
})
