// CPU time (user + system) of another process, for per-request CPU figures that the machine's load
// distorts far less than wall-clock rates. Read from /proc: Linux only; null elsewhere or once the
// process is gone.
import { readFile } from 'node:fs/promises'

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ: 100 on every Linux Node runs on). */
const TICKS_PER_SECOND = 100

/**
 * CPU seconds the process and its running descendants (ingest's workers) have used so far, or null.
 * A descendant that ended is no longer counted: measure across windows where none does.
 */
export async function processCpuSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null)
  if (stat === null) return null
  // Fields after the command name (which may hold spaces), from field 3 on: utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  let seconds = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  for (const child of children.split(' ').filter((c) => c !== ''))
    seconds += (await processCpuSeconds(Number(child))) ?? 0
  return seconds
}

/** CPU microseconds per request over a window that started at `from` (processCpuSeconds) and handled `requests`. */
export async function cpuMicrosPerRequest(
  pid: number | undefined,
  from: number | null,
  requests: number,
): Promise<number | null> {
  const to = await processCpuSeconds(pid)
  if (from === null || to === null || requests === 0) return null
  return Math.round(((to - from) * 1e6) / requests)
}
