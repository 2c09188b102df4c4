// The bench's CPU-wait readers: a process that shares the CPUs with busier claims on them is seen waiting.
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { availableParallelism, setPriority } from 'node:os'
import { expect, it, onTestFinished } from 'vitest'
import { cpuPressureSeconds, processCpuWaitSeconds } from '../bench/cpu-wait.ts'
import { processCpuSeconds } from '../bench/process-cpu.ts'
import { waitFor } from './wait-for.ts'

/** A busy loop at a niceness (nice values weigh within the test's own session, where these run). */
const busy = (nice: number) => {
  const child = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' })
  onTestFinished(() => {
    child.kill('SIGKILL')
  })
  if (child.pid !== undefined) setPriority(child.pid, nice)
  return child.pid
}

it('counts the time a process waited, runnable, for a CPU: not the time it ran', async () => {
  // A nice-19 loop beside a nice-0 one on every CPU is runnable all the time and runs little of it.
  for (let cpu = 0; cpu < availableParallelism(); cpu++) busy(0)
  const starved = busy(19)
  // Counted from here, not from the spawn: Node's own start-up ran before the niceness applied.
  await waitFor('the nice loop to have waited for a CPU', async () => {
    return ((await processCpuWaitSeconds(starved)) ?? 0) > 0.05
  })
  const ranFrom = (await processCpuSeconds(starved)) ?? 0
  const waitedFrom = (await processCpuWaitSeconds(starved)) ?? 0
  await waitFor('the nice loop to have waited 0.3 s more for a CPU', async () => {
    return ((await processCpuWaitSeconds(starved)) ?? 0) - waitedFrom > 0.3
  })
  const ran = ((await processCpuSeconds(starved)) ?? 0) - ranFrom
  const waited = ((await processCpuWaitSeconds(starved)) ?? 0) - waitedFrom
  expect(ran).toBeLessThan(waited / 3)
  expect(await processCpuWaitSeconds(2 ** 30)).toBeNull()
})

it.runIf(existsSync('/proc/pressure/cpu'))('reads the machine’s CPU pressure', async () => {
  expect(await cpuPressureSeconds()).toBeGreaterThan(0)
})
