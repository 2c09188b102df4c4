import { afterAll, beforeAll, expect, onTestFinished, test } from 'vitest'
import { type Pipeline, startPipeline } from './pipeline.ts'
import { type ReconcilerProcess, spawnReconciler } from './reconciler-process.ts'

// How long the group takes to hand a dead or departing reconciler's partitions to the survivor: the
// lower bound on how late a stop can land when a reconciler dies. A SIGKILLed member is noticed only
// when its session times out; one that exits on SIGTERM leaves the group and is replaced at once.
const APP = 4901
const PARTITIONS = 12

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({ scale: 1, reconcilers: 0, apps: [{ appId: APP }] })
})
afterAll(() => pipeline?.close())

const joinedWith = (p: ReconcilerProcess, count: (n: number) => boolean, after: number) =>
  p.line(
    (l) =>
      l.msg === 'joined the consumer group' &&
      Number(l.time) >= after &&
      count((l.partitions as number[] | undefined)?.length ?? 0),
  )

/** Two members share the partitions; one goes away by `signal`; ms until the other holds them all. */
async function handover(env: Record<string, string>, signal: NodeJS.Signals): Promise<number> {
  const survivor = spawnReconciler(env)
  onTestFinished(() => void survivor.kill('SIGKILL'))
  await joinedWith(survivor, (n) => n === PARTITIONS, 0)
  const leaving = spawnReconciler(env)
  onTestFinished(() => void leaving.kill('SIGKILL'))
  const shared = Date.now()
  await Promise.all([
    joinedWith(survivor, (n) => n < PARTITIONS, shared),
    joinedWith(leaving, (n) => n > 0, shared),
  ])
  const gone = Date.now()
  await leaving.kill(signal)
  const restored = await survivor.line(
    (l) => l.msg === 'restored partitions from the changelog' && Number(l.time) >= gone,
  )
  await joinedWith(survivor, (n) => n === PARTITIONS, gone)
  await survivor.kill('SIGTERM')
  return Number(restored.time) - gone
}

test('a SIGKILLed reconciler is replaced within its session timeout; a SIGTERMed one at once', async () => {
  const rows: string[] = []
  const measure = async (label: string, env: Record<string, string>, signal: NodeJS.Signals) => {
    const ms = await handover({ ...pipeline.reconcilerEnv, ...env }, signal)
    rows.push(`  ${label.padEnd(44)} ${signal.padEnd(8)} ${String(ms).padStart(6)} ms`)
    return ms
  }
  const killed = await measure('session 6 s, rebalance 10 s (default)', {}, 'SIGKILL')
  const killedOld = await measure(
    'session 10 s, rebalance 20 s (before)',
    { RECONCILER_SESSION_TIMEOUT_MS: '10000', RECONCILER_REBALANCE_TIMEOUT_MS: '20000' },
    'SIGKILL',
  )
  const left = await measure('session 6 s, rebalance 10 s (default)', {}, 'SIGTERM')
  console.warn(`partitions handed over to the survivor (until restored there):\n${rows.join('\n')}`)
  expect(killed).toBeLessThan(6_000 + 5_000)
  expect(killedOld).toBeGreaterThan(killed)
  expect(left).toBeLessThan(5_000)
}, 150_000)
