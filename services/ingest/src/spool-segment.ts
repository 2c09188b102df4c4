import { type FileHandle, open, readdir, readFile, rm, truncate } from 'node:fs/promises'
import { join } from 'node:path'
import { decodeFrame } from './spool-format.ts'

/**
 * The spool's files: `segment-<seq>.log`, each an append-only run of frames (spool-format.ts). A
 * segment is written once, from empty, by one run of ingest; on the next start it is only read, so a
 * tail torn by a crash is cut and never written after.
 */
export interface Segment {
  seq: number
  path: string
  handle: FileHandle
  /** Bytes of whole frames: where the next frame goes. */
  size: number
}

/** Where one frame sits in its segment. */
export interface FrameSpan {
  pos: number
  size: number
}

const SEGMENT = /^segment-(\d{12})\.log$/

export function segmentPath(dir: string, seq: number): string {
  return join(dir, `segment-${String(seq).padStart(12, '0')}.log`)
}

/** The sequence numbers of the segments in `dir`, oldest first. */
export async function listSegments(dir: string): Promise<number[]> {
  return (await readdir(dir))
    .map((name) => SEGMENT.exec(name)?.[1])
    .filter((s): s is string => s !== undefined)
    .map(Number)
    .sort((a, b) => a - b)
}

/**
 * Opens a segment written by an earlier run, read-only: the spans of its whole frames, in order,
 * after cutting whatever follows the last one (a crash mid-append).
 */
export async function recoverSegment(
  dir: string,
  seq: number,
): Promise<{ segment: Segment; frames: FrameSpan[]; truncatedBytes: number }> {
  const path = segmentPath(dir, seq)
  const bytes = await readFile(path)
  const frames: FrameSpan[] = []
  let pos = 0
  for (let read = decodeFrame(bytes, pos); read.ok; read = decodeFrame(bytes, pos)) {
    frames.push({ pos, size: read.size })
    pos += read.size
  }
  if (pos < bytes.length) await truncate(path, pos)
  return {
    segment: { seq, path, handle: await open(path, 'r'), size: pos },
    frames,
    truncatedBytes: bytes.length - pos,
  }
}

/** A new, empty segment for this run's appends; its directory entry is durable before it is used. */
export async function createSegment(dir: string, seq: number): Promise<Segment> {
  const path = segmentPath(dir, seq)
  const handle = await open(path, 'wx+')
  await syncDir(dir)
  return { seq, path, handle, size: 0 }
}

/**
 * Writes `buffer` at the segment's end and fsyncs. `size` is left to the caller: a write that fails
 * part-way leaves an unreadable tail, and nothing may be appended behind it.
 */
export async function appendSynced(segment: Segment, buffer: Buffer): Promise<void> {
  let written = 0
  while (written < buffer.length) {
    const { bytesWritten } = await segment.handle.write(
      buffer,
      written,
      buffer.length - written,
      segment.size + written,
    )
    written += bytesWritten
  }
  await segment.handle.sync()
}

/** The bytes at `pos` (fewer when the file is shorter). */
export async function readAt(segment: Segment, pos: number, length: number): Promise<Buffer> {
  const buffer = Buffer.allocUnsafe(length)
  const { bytesRead } = await segment.handle.read(buffer, 0, length, pos)
  return buffer.subarray(0, bytesRead)
}

export async function removeSegment(segment: Segment): Promise<void> {
  await segment.handle.close()
  await rm(segment.path, { force: true })
}

/** Makes a new file's directory entry durable, not only its contents. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}
