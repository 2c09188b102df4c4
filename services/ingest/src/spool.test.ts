import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, test } from 'vitest'
import { isIngestError } from './errors.ts'
import { openSpool, type Spool } from './spool.ts'
import { decodeFrame, encodeFrame, frameSize, type SpoolRecord } from './spool-format.ts'

const dirs: string[] = []
const spools: Spool[] = []
afterEach(async () => {
  for (const s of spools.splice(0)) await s.close()
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'ingest-spool-'))
  dirs.push(dir)
  return dir
}

async function open(dir: string, maxBytes = 1024 * 1024, segmentBytes?: number) {
  const opened = await openSpool({ dir, maxBytes, ...(segmentBytes === undefined ? {} : { segmentBytes }) })
  spools.push(opened.spool)
  return opened
}

const rec = (i: number, key: string | null = `app-${i % 3}`): SpoolRecord => ({
  topic: i % 2 === 0 ? 't.events' : 't.dead-letter',
  key,
  value: Buffer.from(`value-${i}-${'x'.repeat(i % 17)}`),
})
const values = (records: SpoolRecord[]) => records.map((r) => r.value.toString())

async function segmentFiles(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('segment-')).sort()
}

describe('frames', () => {
  test('round-trip with and without a key, and the size is what frameSize says', () => {
    for (const record of [rec(1), rec(2, null), { topic: 'ü', key: '', value: Buffer.alloc(0) }]) {
      const frame = encodeFrame(record)
      expect(frame.length).toBe(frameSize(record))
      const read = decodeFrame(frame, 0)
      expect(read).toEqual({ ok: true, record, size: frame.length })
    }
  })

  test('a flipped bit or a cut frame is not a record', () => {
    const frame = encodeFrame(rec(5))
    const flipped = Buffer.from(frame)
    flipped[frame.length - 1] = (flipped[frame.length - 1] as number) ^ 1
    expect(decodeFrame(flipped, 0)).toMatchObject({ ok: false, reason: 'checksum mismatch' })
    expect(decodeFrame(frame.subarray(0, frame.length - 1), 0)).toMatchObject({
      ok: false,
      reason: 'short payload',
    })
    expect(decodeFrame(frame.subarray(0, 5), 0)).toMatchObject({ ok: false, reason: 'short header' })
  })
})

describe('spool', () => {
  test('keeps order across appends, peeks and commits, and across a restart', async () => {
    const dir = await tempDir()
    const { spool } = await open(dir, 1024 * 1024, 200)
    for (let i = 0; i < 30; i += 3) await spool.append([rec(i), rec(i + 1), rec(i + 2)])
    expect(spool.depth().records).toBe(30)
    expect(values(await spool.peek(5))).toEqual(values([0, 1, 2, 3, 4].map((i) => rec(i))))
    await spool.commit(5)
    expect(values(await spool.peek(100))).toEqual(values(Array.from({ length: 25 }, (_, i) => rec(i + 5))))
    expect((await segmentFiles(dir)).length).toBeGreaterThan(1)
    await spool.close()

    const reopened = await open(dir, 1024 * 1024, 200)
    expect(reopened.recovery).toEqual({ records: 25, truncatedBytes: 0 })
    expect(values(await reopened.spool.peek(100))).toEqual(
      values(Array.from({ length: 25 }, (_, i) => rec(i + 5))),
    )
    await reopened.spool.append([rec(99)])
    await reopened.spool.commit(20)
    expect(values(await reopened.spool.peek(100))).toEqual(
      values([25, 26, 27, 28, 29, 99].map((i) => rec(i))),
    )
  })

  test('a peek stays within a byte budget, but always gives the oldest record', async () => {
    const { spool } = await open(await tempDir())
    const big = { topic: 't.events', key: '1', value: Buffer.alloc(5_000) }
    await spool.append([rec(1), rec(2), rec(3), big, rec(4)])
    const two = frameSize(rec(1)) * 2
    expect(values(await spool.peek(10, two))).toEqual(values([rec(1), rec(2)]))
    await spool.commit(3)
    expect(await spool.peek(10, two)).toEqual([big])
  })

  test('drained segments are deleted, and an empty spool leaves no segment behind', async () => {
    const dir = await tempDir()
    const { spool } = await open(dir, 1024 * 1024, 100)
    for (let i = 0; i < 20; i += 1) await spool.append([rec(i)])
    const before = (await segmentFiles(dir)).length
    await spool.commit(10)
    expect((await segmentFiles(dir)).length).toBeLessThan(before)
    await spool.commit(10)
    expect(spool.depth()).toEqual({ records: 0, bytes: 0 })
    expect(await segmentFiles(dir)).toEqual([])
    await spool.append([rec(50)])
    expect(values(await spool.peek(10))).toEqual([rec(50).value.toString()])
  })

  test('a torn tail is cut on open and every earlier record survives', async () => {
    const dir = await tempDir()
    const { spool } = await open(dir)
    await spool.append([rec(0), rec(1), rec(2)])
    await spool.close()
    const [file] = await segmentFiles(dir)
    const path = join(dir, file as string)
    const whole = (await stat(path)).size
    // A crash in the middle of the next append: half a frame at the end.
    const next = encodeFrame(rec(3))
    await appendFile(path, next.subarray(0, Math.floor(next.length / 2)))

    const { spool: reopened, recovery } = await open(dir)
    expect(recovery).toEqual({ records: 3, truncatedBytes: Math.floor(next.length / 2) })
    expect((await stat(path)).size).toBe(whole)
    expect(values(await reopened.peek(10))).toEqual(values([rec(0), rec(1), rec(2)]))
    await reopened.append([rec(4)])
    expect(values(await reopened.peek(10))).toEqual(values([rec(0), rec(1), rec(2), rec(4)]))
  })

  test('garbage in the last frame (a torn header) is cut too', async () => {
    const dir = await tempDir()
    const { spool } = await open(dir)
    await spool.append([rec(0), rec(1)])
    await spool.close()
    const [file] = await segmentFiles(dir)
    const path = join(dir, file as string)
    const bytes = await readFile(path)
    const corrupt = Buffer.from(bytes)
    corrupt[corrupt.length - 2] = (corrupt[corrupt.length - 2] as number) ^ 0xff
    await writeFile(path, corrupt)
    const { spool: reopened, recovery } = await open(dir)
    expect(recovery.records).toBe(1)
    expect(values(await reopened.peek(10))).toEqual(values([rec(0)]))
  })

  test('is bounded: an append that does not fit is refused whole with SPOOL_FULL', async () => {
    const dir = await tempDir()
    const size = frameSize(rec(0))
    const { spool } = await open(dir, size * 3 + 1)
    await spool.append([rec(0), rec(0)])
    expect(spool.fits([rec(0), rec(0)])).toBe(1)
    const error = await spool.append([rec(0), rec(0)]).catch((e: unknown) => e)
    expect(isIngestError(error, 'SPOOL_FULL')).toBe(true)
    expect(spool.depth().records).toBe(2)
    await spool.append([rec(0)])
    await spool.commit(3)
    await spool.append([rec(0), rec(0), rec(0)])
    expect(spool.depth()).toEqual({ records: 3, bytes: size * 3 })
  })

  test('a restart after a partial drain resumes from the cursor, not from the start', async () => {
    const dir = await tempDir()
    const { spool } = await open(dir)
    await spool.append([rec(0), rec(1), rec(2), rec(3)])
    await spool.commit(3)
    await spool.close()
    const { spool: reopened, recovery } = await open(dir)
    expect(recovery.records).toBe(1)
    expect(values(await reopened.peek(10))).toEqual(values([rec(3)]))
  })

  test('after close, appends are refused', async () => {
    const dir = await tempDir()
    const { spool } = await open(dir)
    await spool.close()
    const error = await spool.append([rec(0)]).catch((e: unknown) => e)
    expect(isIngestError(error, 'CLOSED')).toBe(true)
  })
})
