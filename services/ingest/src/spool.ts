import {
  type FileHandle,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  truncate,
  writeFile,
} from 'node:fs/promises'
import { join } from 'node:path'
import { IngestError } from './errors.ts'
import { decodeFrame, encodeFrame, frameSize, type SpoolRecord } from './spool-format.ts'

/**
 * A bounded, ordered on-disk queue of records that Kafka could not take yet. `append` returns only
 * after the bytes are fsynced, so a record it accepted survives a crash; `peek` + `commit` drain it
 * from the oldest record on. Files: `segment-<seq>.log` (appended frames, see spool-format.ts) and
 * `cursor` (how far the oldest segment is drained). Losing the cursor only means re-sending records
 * Kafka already has (consumers drop duplicates by event id), so it is not fsynced.
 */
export interface Spool {
  readonly dir: string
  readonly maxBytes: number
  /** Records and frame bytes accepted and not yet committed. */
  depth(): { records: number; bytes: number }
  /** How many of `records`, from the first, fit in the room left. */
  fits(records: readonly SpoolRecord[]): number
  /** Appends in order and fsyncs; all or nothing. Throws SPOOL_FULL or SPOOL_WRITE_FAILED. */
  append(records: readonly SpoolRecord[]): Promise<void>
  /** The oldest `max` records not yet committed, in order. */
  peek(max: number): Promise<SpoolRecord[]>
  /** Drops the oldest `count` records: Kafka has them. */
  commit(count: number): Promise<void>
  close(): Promise<void>
}

export interface SpoolOptions {
  dir: string
  maxBytes: number
  /** A new segment starts once the current one is this big; drained segments are deleted whole. */
  segmentBytes?: number
}

export interface SpoolRecovery {
  /** Records found on disk and not yet drained. */
  records: number
  /** Bytes cut from segment tails because they were not whole frames (a crash mid-append). */
  truncatedBytes: number
}

interface Segment {
  seq: number
  path: string
  handle: FileHandle
  size: number
}

interface Entry {
  seq: number
  pos: number
  size: number
}

const SEGMENT = /^segment-(\d{12})\.log$/
const segmentName = (seq: number) => `segment-${String(seq).padStart(12, '0')}.log`

export async function openSpool(options: SpoolOptions): Promise<{ spool: Spool; recovery: SpoolRecovery }> {
  const { dir, maxBytes, segmentBytes = 8 * 1024 * 1024 } = options
  const segments = new Map<number, Segment>()
  const entries: Entry[] = []
  let truncatedBytes = 0
  let nextSeq = 1
  try {
    await mkdir(dir, { recursive: true })
    const cursor = await readCursor(dir)
    nextSeq = (cursor?.seq ?? 0) + 1
    const seqs = (await readdir(dir))
      .map((name) => SEGMENT.exec(name)?.[1])
      .filter((s): s is string => s !== undefined)
      .map(Number)
      .sort((a, b) => a - b)
    for (const seq of seqs) {
      nextSeq = Math.max(nextSeq, seq + 1)
      const path = join(dir, segmentName(seq))
      if (cursor !== null && seq < cursor.seq) {
        await rm(path, { force: true })
        continue
      }
      const bytes = await readFile(path)
      let pos = 0
      for (let read = decodeFrame(bytes, pos); read.ok; read = decodeFrame(bytes, pos)) {
        if (cursor === null || seq > cursor.seq || pos >= cursor.pos)
          entries.push({ seq, pos, size: read.size })
        pos += read.size
      }
      if (pos < bytes.length) {
        truncatedBytes += bytes.length - pos
        await truncate(path, pos)
      }
      segments.set(seq, { seq, path, handle: await open(path, 'r'), size: pos })
    }
  } catch (error) {
    for (const s of segments.values()) await s.handle.close().catch(() => {})
    throw new IngestError(
      'SPOOL_OPEN_FAILED',
      `cannot open the spool in ${dir}: ${(error as Error).message}`,
      {
        retryable: false,
        cause: error,
      },
    )
  }

  let head = 0
  let bytes = entries.reduce((sum, e) => sum + e.size, 0)
  // Never append to a segment written before this start: its tail is where a crash would have torn it.
  let active: Segment | null = null
  let tail = Promise.resolve()
  let closed = false

  /** One operation at a time: appends, reads and deletions never interleave. */
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(() => {
      if (closed) throw new IngestError('CLOSED', 'the spool is closed', { retryable: true })
      return fn()
    })
    tail = run.then(
      () => {},
      () => {},
    )
    return run
  }

  const newSegment = async (): Promise<Segment> => {
    const seq = nextSeq++
    const path = join(dir, segmentName(seq))
    const handle = await open(path, 'wx+')
    await syncDir(dir)
    const segment = { seq, path, handle, size: 0 }
    segments.set(seq, segment)
    return segment
  }

  const dropSegment = async (segment: Segment): Promise<void> => {
    segments.delete(segment.seq)
    if (active === segment) active = null
    await segment.handle.close()
    await rm(segment.path, { force: true })
  }

  const spool: Spool = {
    dir,
    maxBytes,
    depth: () => ({ records: entries.length - head, bytes }),
    fits(records) {
      let room = maxBytes - bytes
      let n = 0
      for (const record of records) {
        room -= frameSize(record)
        if (room < 0) break
        n += 1
      }
      return n
    },
    append: (records) =>
      serial(async () => {
        if (records.length === 0) return
        if (spool.fits(records) < records.length) {
          throw new IngestError('SPOOL_FULL', `the spool is full (${bytes} of ${maxBytes} bytes)`, {
            retryAfterMs: 1000,
          })
        }
        const frames = records.map(encodeFrame)
        const buffer = Buffer.concat(frames)
        let segment = active
        try {
          if (segment === null || segment.size >= segmentBytes) {
            segment = await newSegment()
            active = segment
          }
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
        } catch (error) {
          // Whatever part was written stays an unreadable tail; later appends go to a fresh segment so
          // they are never behind it (a torn tail is cut on open, and everything after it with it).
          if (active === segment) active = null
          throw new IngestError('SPOOL_WRITE_FAILED', `spool write failed: ${(error as Error).message}`, {
            cause: error,
          })
        }
        let pos = segment.size
        for (const frame of frames) {
          entries.push({ seq: segment.seq, pos, size: frame.length })
          pos += frame.length
        }
        segment.size = pos
        bytes += buffer.length
      }),
    peek: (max) =>
      serial(async () => {
        const out: SpoolRecord[] = []
        let i = head
        const end = Math.min(entries.length, head + max)
        while (i < end) {
          // One read per run of entries that sit next to each other in one segment.
          const first = entries[i] as Entry
          let j = i + 1
          while (j < end && (entries[j] as Entry).seq === first.seq) j += 1
          const last = entries[j - 1] as Entry
          const segment = segments.get(first.seq)
          if (segment === undefined) throw new Error(`spool segment ${first.seq} is missing`)
          const length = last.pos + last.size - first.pos
          const buffer = Buffer.allocUnsafe(length)
          const { bytesRead } = await segment.handle.read(buffer, 0, length, first.pos)
          let at = 0
          for (let k = i; k < j; k += 1) {
            const read = decodeFrame(buffer.subarray(0, bytesRead), at)
            if (!read.ok) throw new Error(`spool segment ${first.seq} changed under us: ${read.reason}`)
            out.push(read.record)
            at += read.size
          }
          i = j
        }
        return out
      }),
    commit: (count) =>
      serial(async () => {
        const n = Math.min(count, entries.length - head)
        for (let k = head; k < head + n; k += 1) bytes -= (entries[k] as Entry).size
        head += n
        if (head > 1024 && head * 2 > entries.length) {
          entries.splice(0, head)
          head = 0
        }
        const next = entries[head]
        for (const segment of [...segments.values()]) {
          const drained = next === undefined || segment.seq < next.seq
          if (drained && (segment !== active || next === undefined)) await dropSegment(segment)
        }
        if (next === undefined) {
          entries.length = 0
          head = 0
          await rm(join(dir, 'cursor'), { force: true })
        } else {
          await writeCursor(dir, next)
        }
      }),
    close: async () => {
      await serial(async () => {
        closed = true
        for (const s of segments.values()) await s.handle.close().catch(() => {})
        segments.clear()
      }).catch(() => {})
    },
  }
  return { spool, recovery: { records: entries.length, truncatedBytes } }
}

async function readCursor(dir: string): Promise<{ seq: number; pos: number } | null> {
  let text: string
  try {
    text = await readFile(join(dir, 'cursor'), 'utf8')
  } catch {
    return null
  }
  try {
    const value = JSON.parse(text) as { seq?: unknown; pos?: unknown }
    if (Number.isSafeInteger(value.seq) && Number.isSafeInteger(value.pos)) {
      return { seq: value.seq as number, pos: value.pos as number }
    }
  } catch {}
  // A damaged cursor costs re-sends, never records: start from the oldest segment.
  return null
}

async function writeCursor(dir: string, at: Entry): Promise<void> {
  const tmp = join(dir, 'cursor.tmp')
  await writeFile(tmp, JSON.stringify({ seq: at.seq, pos: at.pos }))
  await rename(tmp, join(dir, 'cursor'))
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
