import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { openSpool } from './spool.ts'

/**
 * Worker `index`'s spool (INGEST_WORKERS): the configured dir itself for worker 0, so one process and
 * a cluster's first worker drain the same records, and `worker-<index>` inside it for the others.
 */
export function workerSpoolDir(dir: string, index: number): string {
  return index === 0 ? dir : join(dir, `worker-${index}`)
}

/**
 * The spools of workers at `workers` or above that still hold records: a start with fewer workers
 * than before would leave them undrained, so ingest refuses to start until they are taken.
 */
export async function strandedSpools(
  dir: string,
  workers: number,
): Promise<{ dir: string; index: number; records: number }[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  const stranded: { dir: string; index: number; records: number }[] = []
  for (const name of names) {
    const index = Number(/^worker-(\d+)$/.exec(name)?.[1] ?? Number.NaN)
    if (!(index >= workers)) continue
    const at = join(dir, name)
    const { spool, recovery } = await openSpool({ dir: at, maxBytes: Number.MAX_SAFE_INTEGER })
    await spool.close()
    if (recovery.records > 0) stranded.push({ dir: at, index, records: recovery.records })
  }
  return stranded.sort((a, b) => a.index - b.index)
}
