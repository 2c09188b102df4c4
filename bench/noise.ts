// Background traffic for the pipeline benches: distinct signed stream_create callbacks (new streams
// in 200 rooms without a mix task) posted straight to ingest at `perSecond`, from a driver process of
// its own (paced-driver.ts), so they go ingest → Kafka → reconciler without costing the simulator's
// event loop — the one the pipeline under test shares.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type PacedResult, runPacedLoad } from './paced-load.ts'
import { writeSignedCallbacks } from './signed-callbacks.ts'
import { onTeardown } from './teardown.ts'

/** Prepares `perSecond × seconds` callbacks, then returns a function that sends them (and resolves when done). */
export async function prepareNoise(options: {
  ingestUrl: string
  appId: number
  callbackSecret: string
  perSecond: number
  seconds: number
}): Promise<() => Promise<PacedResult>> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-noise-'))
  const removeDir = onTeardown(() => rm(dir, { recursive: true, force: true }))
  const callbacksFile = join(dir, 'noise.txt')
  const count = Math.ceil(options.perSecond * options.seconds)
  await writeSignedCallbacks(callbacksFile, count, `noise${Date.now().toString(36)}`, options.callbackSecret)
  return async () => {
    try {
      return await runPacedLoad({
        origin: options.ingestUrl,
        path: '/zego/callback',
        callbacksFile,
        perSecond: options.perSecond,
        seconds: options.seconds,
        appId: options.appId,
      })
    } finally {
      await removeDir()
    }
  }
}
