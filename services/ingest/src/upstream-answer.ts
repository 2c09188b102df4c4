import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib'

export type UpstreamAnswer =
  | {
      ok: true
      /** The answer's bytes, decoded when they came in an encoding ingest reads. */
      body: Buffer
      /** True when `body` was decoded: its `content-encoding` label must not travel with it. */
      decoded: boolean
    }
  | { ok: false; reason: 'too_large' | 'undecodable'; detail: string }

type Decoder = (bytes: Buffer, options: { maxOutputLength: number }) => Buffer

const DECODERS: Record<string, Decoder> = {
  gzip: gunzipSync,
  'x-gzip': gunzipSync,
  deflate: inflateSync,
  br: brotliDecompressSync,
}

/**
 * Reads an upstream answer, at most `limitBytes` of it (announced length, bytes on the wire and, once
 * decoded, bytes in memory all count): ZEGO's answers are small, and one that is not must not take
 * ingest's memory. An answer in gzip, deflate or br (ingest does not ask for one) is decoded, so it can
 * be recorded and forwarded as plain bytes; one in an encoding ingest does not know is kept as it came.
 */
export async function readUpstreamAnswer(
  body: AsyncIterable<Buffer> & { destroy(): unknown },
  headers: Record<string, string | string[] | undefined>,
  limitBytes: number,
): Promise<UpstreamAnswer> {
  const tooLarge = (): UpstreamAnswer => ({
    ok: false,
    reason: 'too_large',
    detail: `ZEGO's answer is larger than the passthrough's limit of ${limitBytes} bytes`,
  })
  const announced = Number(headers['content-length'])
  if (Number.isFinite(announced) && announced > limitBytes) {
    body.destroy()
    return tooLarge()
  }
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of body) {
    size += chunk.length
    // Leaving the loop destroys the stream: the rest is never read.
    if (size > limitBytes) return tooLarge()
    chunks.push(chunk)
  }
  let bytes: Buffer = Buffer.concat(chunks, size)

  const codings = String(headers['content-encoding'] ?? '')
    .split(',')
    .map((c) => c.trim().toLowerCase())
    .filter((c) => c !== '' && c !== 'identity')
  if (codings.length === 0) return { ok: true, body: bytes, decoded: false }
  if (codings.some((c) => !Object.hasOwn(DECODERS, c))) return { ok: true, body: bytes, decoded: false }
  // Codings are listed in the order they were applied: undone last first.
  for (const coding of codings.reverse()) {
    try {
      bytes = (DECODERS[coding] as Decoder)(bytes, { maxOutputLength: limitBytes })
    } catch (error) {
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') return tooLarge()
      return {
        ok: false,
        reason: 'undecodable',
        detail: `ZEGO's ${coding} answer could not be decoded: ${(error as Error).message}`,
      }
    }
  }
  return { ok: true, body: bytes, decoded: true }
}
