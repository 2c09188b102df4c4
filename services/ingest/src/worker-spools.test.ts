import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, expect, test } from 'vitest'
import { openSpool } from './spool.ts'
import { strandedSpools, workerSpoolDir } from './worker-spools.ts'

const dirs: string[] = []
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true })
})

/** A spool at `dir` holding `records` records (after `drained` more were appended and drained). */
async function spoolWith(dir: string, records: number, drained = 0): Promise<void> {
  const { spool } = await openSpool({ dir, maxBytes: 1024 * 1024 })
  const all = Array.from({ length: drained + records }, (_, i) => ({
    topic: 't.events',
    key: 'app',
    value: Buffer.from(`value-${i}`),
  }))
  await spool.append(all)
  await spool.commit(drained)
  await spool.close()
}

test('worker 0 spools where one process does; the others in worker-<index> inside it', () => {
  expect(workerSpoolDir('/var/spool/ingest', 0)).toBe('/var/spool/ingest')
  expect(workerSpoolDir('/var/spool/ingest', 3)).toBe(join('/var/spool/ingest', 'worker-3'))
})

test('a start with fewer workers finds the spools it would leave undrained, and only those', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ingest-worker-spools-'))
  dirs.push(dir)
  expect(await strandedSpools(join(dir, 'not-made-yet'), 1)).toEqual([])
  await spoolWith(dir, 4)
  await spoolWith(workerSpoolDir(dir, 1), 2)
  await spoolWith(workerSpoolDir(dir, 2), 0, 3)
  await spoolWith(workerSpoolDir(dir, 3), 1, 1)

  expect(await strandedSpools(dir, 4)).toEqual([])
  expect(await strandedSpools(dir, 2)).toEqual([{ dir: workerSpoolDir(dir, 3), index: 3, records: 1 }])
  expect(await strandedSpools(dir, 1)).toEqual([
    { dir: workerSpoolDir(dir, 1), index: 1, records: 2 },
    { dir: workerSpoolDir(dir, 3), index: 3, records: 1 },
  ])
  // Looking does not drain: the records are still there for the workers that will take them.
  expect(await strandedSpools(dir, 1)).toHaveLength(2)
})
