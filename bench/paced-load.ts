// Runs paced-driver.ts in a process of its own and reads its result.
import { runJsonChild } from './teardown.ts'

export interface PacedResult {
  offered: number
  answered: number
  failed: number
  seconds: number
  p50Ms: number
  p99Ms: number
  maxMs: number
  /** How late the driver itself sent, at worst (it is starved of CPU when this grows). */
  maxLagMs: number
}

export async function runPacedLoad(options: {
  origin: string
  path: string
  callbacksFile: string
  perSecond: number
  seconds: number
  appId?: number
}): Promise<PacedResult> {
  const { origin, path, callbacksFile, perSecond, seconds, appId } = options
  const args = [origin, path, callbacksFile, String(perSecond), String(seconds), '256']
  if (appId !== undefined) args.push(String(appId))
  return runJsonChild<PacedResult>('paced-driver.ts', args)
}
