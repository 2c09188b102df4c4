// How long the local broker takes from nothing to "admin API answers", median of several starts.
// Run: pnpm bench:broker [starts]
import { startLocalBroker } from '@mixguard/kafka/local'

const starts = Number(process.argv[2] ?? 5)
const times: number[] = []
for (let i = 0; i < starts; i++) {
  const began = performance.now()
  const broker = await startLocalBroker({ env: process.env })
  times.push(performance.now() - began)
  await broker.stop()
}
times.sort((a, b) => a - b)
const median = times[Math.floor(times.length / 2)] ?? Number.NaN
console.log(`local broker start (format + JVM + admin ready), ${starts} starts`)
console.log(`  each ms: ${times.map((t) => Math.round(t)).join(' ')}`)
console.log(`  median:  ${Math.round(median)} ms`)
