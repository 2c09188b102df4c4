// Time spent waiting for a CPU: a process that is runnable but not running uses no CPU time, so on a
// shared machine "less CPU" can mean "waited longer for it". Read from /proc (schedstat, PSI): Linux
// only; null elsewhere or once the process is gone.
import { readdir, readFile } from 'node:fs/promises'

/**
 * Seconds the process's threads (and its running descendants') have waited, runnable, for a CPU so
 * far: the sum of each thread's run-queue delay (/proc/<pid>/task/<tid>/schedstat, second field, ns).
 */
export async function processCpuWaitSeconds(pid: number | undefined): Promise<number | null> {
  if (pid === undefined) return null
  const threads = await readdir(`/proc/${pid}/task`).catch(() => null)
  if (threads === null) return null
  let seconds = 0
  for (const tid of threads) {
    const schedstat = await readFile(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').catch(() => '')
    seconds += Number(schedstat.split(' ')[1] ?? 0) / 1e9 || 0
  }
  const children = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')
  for (const child of children.split(' ').filter((c) => c !== ''))
    seconds += (await processCpuWaitSeconds(Number(child))) ?? 0
  return seconds
}

/**
 * Seconds during which some runnable task of the machine waited for a CPU so far (the kernel's
 * pressure stall information, /proc/pressure/cpu `some`): over a window, near 100 % of it means the
 * machine had no CPU to spare at any moment.
 */
export async function cpuPressureSeconds(): Promise<number | null> {
  const text = await readFile('/proc/pressure/cpu', 'utf8').catch(() => null)
  const total = text?.match(/^some .*total=(\d+)/m)?.[1]
  return total === undefined ? null : Number(total) / 1e6
}
