// The benches' multi-process pipeline (bench/process-pipeline.ts) leaves no process behind: zego-sim,
// ingest and the reconciler are gone when the bench body ends, when it throws, and on Ctrl-C.
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { createInterface } from 'node:readline'
import { describe, expect, it } from 'vitest'
import { type ProcessPipeline, withProcessPipeline } from '../bench/process-pipeline.ts'
import { testBrokers } from './kafka.ts'
import { isAlive as alive } from './process-alive.ts'

const idsOf = (pipeline: ProcessPipeline): number[] =>
  Object.values(pipeline.pids).filter((pid) => pid !== undefined)

describe('the benches’ process pipeline', () => {
  it('stops every process it started when the bench body ends', async () => {
    let pids: number[] = []
    await withProcessPipeline(testBrokers(), { appId: 7301, name: 'teardown-end' }, async (pipeline) => {
      pids = idsOf(pipeline)
      expect(pids.filter(alive)).toHaveLength(3)
    })
    expect(pids.filter(alive)).toEqual([])
  })

  it('stops every process it started when the bench body throws', async () => {
    let pids: number[] = []
    await expect(
      withProcessPipeline(testBrokers(), { appId: 7302, name: 'teardown-error' }, async (pipeline) => {
        pids = idsOf(pipeline)
        throw new Error('the bench failed')
      }),
    ).rejects.toThrow('the bench failed')
    expect(pids).toHaveLength(3)
    expect(pids.filter(alive)).toEqual([])
  })

  it('stops every process it started when the bench is interrupted (Ctrl-C)', async () => {
    const bench = spawn(
      process.execPath,
      ['--conditions=@mixguard/source', 'test/bench-pipeline-child.ts', testBrokers().join(',')],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    )
    const exited = once(bench, 'exit')
    const [line] = (await Promise.race([
      once(createInterface({ input: bench.stdout }), 'line'),
      exited.then(([code]) => Promise.reject(new Error(`the bench exited (${code}) before it started`))),
    ])) as [string]
    const pids = JSON.parse(line) as number[]
    expect(pids.filter(alive)).toHaveLength(3)
    bench.kill('SIGINT')
    const [code] = (await exited) as [number | null]
    expect(code).toBe(130)
    expect(pids.filter(alive)).toEqual([])
  })
})
