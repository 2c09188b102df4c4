// Open-loop load at a fixed rate, as its own process (so it does not share an event loop with the
// server): callback i is due at start + i/rate whether or not earlier ones were answered, and its
// latency counts from when it was due, so a stalled server shows up in p99 instead of slowing the
// offered load down (no coordinated omission). It sends any app's callbacks (the time-to-stop bench's
// background load); bench:ingest's paced row uses wrk instead (callbacks.lua with a rate: the same
// due-time latency, for less than half the CPU on the cores the server shares, and no lag of its own
// event loop). Prints one JSON line with the result.
// Run: node bench/paced-driver.ts <origin> <path> <callbacksFile> <perSecond> <seconds> [connections] [appId]
import { setTimeout as sleep } from 'node:timers/promises'
import { Pool } from 'undici'
import { percentile } from './row.ts'
import { BENCH_APP_ID, callbackBody, readSignedCallbacks } from './signed-callbacks.ts'

const [
  origin = '',
  path = '',
  file = '',
  rateArg = '2000',
  secondsArg = '10',
  connectionsArg = '256',
  appId,
] = process.argv.slice(2)
const rate = Number(rateArg)
const seconds = Number(secondsArg)
const auths = await readSignedCallbacks(file)
const total = Math.min(auths.length, Math.round(rate * seconds))
const bodies = auths.slice(0, total).map((auth, i) => callbackBody(auth, i, Number(appId ?? BENCH_APP_ID)))
// Enough connections that a queue forms in the server, not in the driver, until the server stalls.
const pool = new Pool(origin, { connections: Number(connectionsArg), pipelining: 1 })
const latencies: number[] = []
let failed = 0
let maxLagMs = 0
const inFlight = new Set<Promise<void>>()

const send = (i: number, due: number): void => {
  const p = pool
    .request({
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: bodies[i] as string,
    })
    .then(async (res) => {
      await res.body.dump()
      if (res.statusCode === 200) latencies.push(performance.now() - due)
      else failed += 1
    })
    .catch(() => {
      failed += 1
    })
    .finally(() => inFlight.delete(p))
  inFlight.add(p)
}

const start = performance.now() + 50
let next = 0
while (next < total) {
  const now = performance.now()
  while (next < total && start + (next * 1000) / rate <= now) {
    const due = start + (next * 1000) / rate
    maxLagMs = Math.max(maxLagMs, now - due)
    send(next, due)
    next += 1
  }
  await sleep(1)
}
await Promise.all(inFlight)
const elapsed = (performance.now() - start) / 1000
await pool.close()
latencies.sort((a, b) => a - b)
console.log(
  JSON.stringify({
    offered: total,
    answered: latencies.length,
    failed,
    seconds: elapsed,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? Number.NaN,
    maxLagMs,
  }),
)
