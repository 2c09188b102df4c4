import { promisify } from 'node:util'
import { constants, zstdCompress, zstdDecompress } from 'node:zlib'

/**
 * A state record's value compressed by the store itself: one zstd frame of the record's JSON, with
 * zstd's content checksum (a flipped byte is refused, not read as another state). A restore tells it
 * from a JSON value by zstd's magic number (a JSON value starts with `{`), so a changelog written
 * before (JSON values, in gzipped or uncompressed Kafka batches) reads as it did.
 *
 * Both directions run in libuv's threadpool: a save's compression leaves the event loop to the
 * decisions, and a restore decompresses several records at once while its thread builds states.
 */
const ZSTD_MAGIC = Buffer.from([0x28, 0xb5, 0x2f, 0xfd])
/**
 * Output handed back per step. The frame's header holds its content size (written with it), so a state
 * comes back in one step, the size of its JSON: in 1 MiB steps, 100 states of 1.5 MB cost the main thread
 * ~270 ms, in one step ~70 ms. A frame without the size (none is written so) goes in 1 MiB steps; no
 * step is larger than 64 MiB, whatever a corrupt header claims.
 */
const DEFAULT_STEP_BYTES = 1024 * 1024
const MAX_STEP_BYTES = 64 * 1024 * 1024
/** zlib's least chunk size. */
const MIN_STEP_BYTES = 64

const compress = promisify(zstdCompress)
const decompress = promisify(zstdDecompress)

export function compressState(json: Buffer): Promise<Buffer> {
  return compress(json, {
    params: { [constants.ZSTD_c_checksumFlag]: 1, [constants.ZSTD_c_contentSizeFlag]: 1 },
    pledgedSrcSize: json.length,
  })
}

export function isCompressedState(value: Buffer): boolean {
  return value.length >= ZSTD_MAGIC.length && ZSTD_MAGIC.equals(value.subarray(0, ZSTD_MAGIC.length))
}

/** The JSON of a compressed value; rejects (zlib's message) a truncated or corrupt one. */
export function decompressState(value: Buffer): Promise<Buffer> {
  const size = frameContentSize(value)
  const step = size === undefined ? DEFAULT_STEP_BYTES : Math.min(MAX_STEP_BYTES, size + 1)
  return decompress(value, { chunkSize: Math.max(MIN_STEP_BYTES, step) })
}

/** Frame_Content_Size from a zstd frame's header (RFC 8878, 3.1.1.1), if it is there. */
export function frameContentSize(frame: Buffer): number | undefined {
  const descriptor = frame[ZSTD_MAGIC.length]
  if (descriptor === undefined) return undefined
  const singleSegment = (descriptor >> 5) & 1
  const sizeBytes = [singleSegment ? 1 : 0, 2, 4, 8][descriptor >> 6] ?? 0
  const at = ZSTD_MAGIC.length + 1 + (singleSegment ? 0 : 1) + ([0, 1, 2, 4][descriptor & 3] ?? 0)
  if (sizeBytes === 0 || frame.length < at + sizeBytes) return undefined
  if (sizeBytes === 1) return frame.readUInt8(at)
  if (sizeBytes === 2) return frame.readUInt16LE(at) + 256
  if (sizeBytes === 4) return frame.readUInt32LE(at)
  return Number(frame.readBigUInt64LE(at))
}
