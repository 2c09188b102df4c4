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
/** Output handed back per step: a state of 1,000 tasks (1.5 MB) comes back in two. */
const CHUNK_BYTES = 1024 * 1024

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
  return decompress(value, { chunkSize: CHUNK_BYTES })
}
