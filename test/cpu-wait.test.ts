// The bench's CPU-wait readers: a process that shares one CPU with a busier claim on it is seen waiting.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { expect, it, onTestFinished } from 'vitest'
import { cpuPressureSeconds, processCpuWaitSeconds } from '../bench/cpu-wait.ts'
import { processCpuSeconds } from '../bench/process-cpu.ts'
import { waitFor } from './wait-for.ts'

/** A busy loop held to CPU 0, at a niceness. */
const busyOnCpu0 = (nice: number) => {
  const loop = [process.execPath, '-e', 'for (;;) {}']
  const child = spawn('taskset', ['-c', '0', 'nice', '-n', String(nice), ...loop], { stdio: 'ignore' })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  return child.pid
}

it('counts the time a process waited, runnable, for a CPU: not the time it ran', async () => {
  // A nice-19 loop beside a nice-0 one on the same CPU is runnable all the time and runs little of it.
  busyOnCpu0(0)
  const starved = busyOnCpu0(19)
  await waitFor('the nice loop to have waited 0.3 s for its CPU', async () => {
    return ((await processCpuWaitSeconds(starved)) ?? 0) > 0.3
  })
  expect(await processCpuSeconds(starved)).toBeLessThan(0.1)
  expect(await processCpuWaitSeconds(2 ** 30)).toBeNull()
})

it.runIf(existsSync('/proc/pressure/cpu'))('reads the machine’s CPU pressure', async () => {
  expect(await cpuPressureSeconds()).toBeGreaterThan(0)
})
