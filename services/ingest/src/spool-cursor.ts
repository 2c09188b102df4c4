import { readFile, rename, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'

/**
 * How far the spool is drained: the first record Kafka does not have yet, as a segment and a byte
 * position, in the file `cursor`. It is replaced atomically (write, then rename) but not fsynced:
 * losing it only means re-sending records Kafka already has, and consumers drop those by event id.
 */
export interface Cursor {
  seq: number
  pos: number
}

export async function readCursor(dir: string): Promise<Cursor | null> {
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

export async function writeCursor(dir: string, at: Cursor): Promise<void> {
  const tmp = join(dir, 'cursor.tmp')
  await writeFile(tmp, JSON.stringify({ seq: at.seq, pos: at.pos }))
  await rename(tmp, join(dir, 'cursor'))
}

/** Nothing is left to drain. */
export async function removeCursor(dir: string): Promise<void> {
  await rm(join(dir, 'cursor'), { force: true })
}
