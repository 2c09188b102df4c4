// How long the local broker takes from nothing to "admin API answers", median of several starts.
// Run: pnpm bench:broker [starts=5]
import { startLocalBroker } from '@mixguard/kafka/local'
import { percentile, type Row, row } from './row.ts'

export async function benchBrokerStart(starts: number, progress: (message: string) => void): Promise<Row> {
  const times: number[] = []
  for (let i = 0; i < starts; i++) {
    progress(`broker start ${i + 1} of ${starts}`)
    const began = performance.now()
    const broker = await startLocalBroker({ env: process.env })
    times.push(performance.now() - began)
    // Its watchdog stops the JVM should this process die first.
    await broker.stop()
  }
  const each = times.map((t) => Math.round(t))
  times.sort((a, b) => a - b)
  return row('broker', `local Kafka broker start (format + JVM + admin ready), ${starts} starts`, {
    p50Ms: percentile(times, 50),
    extra: { 'max ms': Math.round(times.at(-1) ?? Number.NaN), 'each ms': each.join(' ') },
  })
}

if (import.meta.main) {
  const { standalone } = await import('./teardown.ts')
  const { formatTable } = await import('./row.ts')
  await standalone(async () => {
    console.log(formatTable([await benchBrokerStart(Number(process.argv[2] ?? 5), (m) => console.error(m))]))
  })
}
