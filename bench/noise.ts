// Background traffic for the pipeline benches: distinct signed stream_create callbacks (new streams
// in 200 rooms without a mix task) posted straight to ingest at `perSecond`, open loop, by wrk
// (callbacks.lua with a rate: a C driver of its own, ~0.1 ms CPU a callback on the cores the pipeline
// shares), so they go ingest → Kafka → reconciler without costing the simulator's event loop or much of
// the machine.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { writeSignedCallbacks } from './signed-callbacks.ts'
import { onTeardown } from './teardown.ts'
import { type PacedWrkResult, runPacedWrk } from './wrk.ts'

/**
 * Connections: enough that a queue forms in ingest, not in the driver (at 1,000/s, 256 connections fall
 * behind only once the mean answer takes over 256 ms; the result's `lateP99Ms` says when they did).
 */
const CONNECTIONS = 256

/** Prepares `perSecond × seconds` callbacks, then returns a function that sends them (and resolves when done). */
export async function prepareNoise(options: {
  ingestUrl: string
  appId: number
  callbackSecret: string
  perSecond: number
  seconds: number
}): Promise<() => Promise<PacedWrkResult>> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-noise-'))
  const removeDir = onTeardown(() => rm(dir, { recursive: true, force: true }))
  const callbacksFile = join(dir, 'noise.txt')
  // A second more than the run: wrk's clock starts before its connections, and a late driver catches up.
  const count = Math.ceil(options.perSecond * (options.seconds + 1))
  await writeSignedCallbacks(callbacksFile, count, `noise${Date.now().toString(36)}`, options.callbackSecret)
  return async () => {
    try {
      return await runPacedWrk({
        url: options.ingestUrl,
        path: '/zego/callback',
        callbacksFile,
        perSecond: options.perSecond,
        seconds: options.seconds,
        connections: CONNECTIONS,
        threads: 1,
        appId: options.appId,
      })
    } finally {
      await removeDir()
    }
  }
}
