import { open } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeFrame, type SpoolRecord } from './spool-format.ts'

/** The file beside the spool's segments where records go that neither their topic nor the dead-letter topic takes. */
export const QUARANTINE_FILE = 'quarantine.log'

/**
 * Appends `record` whole, as a spool frame (spool-format.ts), to the quarantine file in the spool
 * directory and fsyncs: it is out of the drain's way and still on disk for a person to look at. The
 * segment listing ignores this file, so it is never drained.
 */
export async function appendQuarantine(dir: string, record: SpoolRecord): Promise<void> {
  const handle = await open(join(dir, QUARANTINE_FILE), 'a')
  try {
    await handle.write(encodeFrame(record))
    await handle.sync()
  } finally {
    await handle.close()
  }
}
