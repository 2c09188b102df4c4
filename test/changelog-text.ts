import { zstdDecompressSync } from 'node:zlib'
import { isCompressedState } from '../services/reconciler/src/adapters/state-compression.ts'

/** The JSON text of a `reconciler-state` record's value (the store compresses it: state-compression.ts). */
export function changelogText(value: Buffer): string {
  return (isCompressedState(value) ? zstdDecompressSync(value) : value).toString('utf8')
}
