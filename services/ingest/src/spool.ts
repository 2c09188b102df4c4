import { mkdir, rm } from 'node:fs/promises'
import { IngestError } from './errors.ts'
import { readCursor, removeCursor, writeCursor } from './spool-cursor.ts'
import { decodeFrame, encodeFrame, frameSize, type SpoolRecord } from './spool-format.ts'
import {
  appendSynced,
  createSegment,
  type FrameSpan,
  listSegments,
  readAt,
  recoverSegment,
  removeSegment,
  type Segment,
  segmentPath,
} from './spool-segment.ts'

/**
 * A bounded, ordered on-disk queue of records that Kafka could not take yet. `append` returns only
 * after the bytes are fsynced, so a record it accepted survives a crash; `peek` + `commit` drain it
 * from the oldest record on. On disk: segment files of frames (spool-segment.ts) and a cursor saying
 * how far they are drained (spool-cursor.ts).
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
  /**
   * The oldest records not yet committed, in order: at most `max` of them, and no more frame bytes
   * than `maxBytes` (but always the oldest one, whatever its size).
   */
  peek(max: number, maxBytes?: number): Promise<SpoolRecord[]>
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

/** A record not yet committed: where its frame is. */
interface Entry extends FrameSpan {
  seq: number
}

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
    for (const seq of await listSegments(dir)) {
      nextSeq = Math.max(nextSeq, seq + 1)
      if (cursor !== null && seq < cursor.seq) {
        await rm(segmentPath(dir, seq), { force: true })
        continue
      }
      const recovered = await recoverSegment(dir, seq)
      segments.set(seq, recovered.segment)
      truncatedBytes += recovered.truncatedBytes
      for (const frame of recovered.frames) {
        if (cursor === null || seq > cursor.seq || frame.pos >= cursor.pos) entries.push({ seq, ...frame })
      }
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
    const segment = await createSegment(dir, nextSeq++)
    segments.set(segment.seq, segment)
    return segment
  }

  const dropSegment = async (segment: Segment): Promise<void> => {
    segments.delete(segment.seq)
    if (active === segment) active = null
    await removeSegment(segment)
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
            retryable: true,
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
          await appendSynced(segment, buffer)
        } catch (error) {
          // Whatever part was written stays an unreadable tail; later appends go to a fresh segment so
          // they are never behind it (a torn tail is cut on open, and everything after it with it).
          if (active === segment) active = null
          throw new IngestError('SPOOL_WRITE_FAILED', `spool write failed: ${(error as Error).message}`, {
            retryable: true,
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
    peek: (max, maxBytes = Number.POSITIVE_INFINITY) =>
      serial(async () => {
        const out: SpoolRecord[] = []
        let i = head
        let end = Math.min(entries.length, head + max)
        let budget = maxBytes
        for (let k = head; k < end; k += 1) {
          budget -= (entries[k] as Entry).size
          if (budget < 0 && k > head) {
            end = k
            break
          }
        }
        while (i < end) {
          // One read per run of entries that sit next to each other in one segment.
          const first = entries[i] as Entry
          let j = i + 1
          while (j < end && (entries[j] as Entry).seq === first.seq) j += 1
          const last = entries[j - 1] as Entry
          const segment = segments.get(first.seq)
          if (segment === undefined)
            throw new IngestError('SPOOL_READ_FAILED', `spool segment ${first.seq} is missing`, {
              retryable: false,
            })
          const buffer = await readAt(segment, first.pos, last.pos + last.size - first.pos)
          let at = 0
          for (let k = i; k < j; k += 1) {
            const read = decodeFrame(buffer, at)
            if (!read.ok)
              throw new IngestError(
                'SPOOL_READ_FAILED',
                `spool segment ${first.seq} changed under us: ${read.reason}`,
                {
                  retryable: false,
                },
              )
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
          await removeCursor(dir)
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
