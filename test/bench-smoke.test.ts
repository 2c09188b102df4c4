// The benchmarks run and send what ingest accepts; their figures are never asserted (they measure).
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { parseCallback } from '@mixguard/contracts'
import { callbackSignature, verifyCallbackSignature } from '@mixguard/zego-api'
import { describe, expect, it } from 'vitest'
import { benchCore } from '../bench/core.ts'
import { formatTable, row } from '../bench/row.ts'
import { BENCH_CALLBACK_SECRET, callbackBody } from '../bench/signed-callbacks.ts'

describe('bench callbacks', () => {
  it('are stream_create callbacks that parse and whose signature verifies', () => {
    const timestamp = '1800000000'
    const auth = {
      timestamp,
      nonce: 'r1-7',
      signature: callbackSignature(BENCH_CALLBACK_SECRET, timestamp, 'r1-7'),
    }
    const body = JSON.parse(callbackBody(auth, 7)) as Record<string, unknown>
    const parsed = parseCallback(body)
    expect(parsed.ok).toBe(true)
    expect(body.event).toBe('stream_create')
    expect(body.stream_id).toBe('stream-r1-7')
    expect(verifyCallbackSignature(BENCH_CALLBACK_SECRET, timestamp, 'r1-7', auth.signature)).toBe(true)
  })
})

describe('bench table', () => {
  it('runs the decision-core bench at a tiny size and prints its row', () => {
    const core = benchCore(3, 1)
    const table = formatTable([core, row('x', 'a subject with no throughput', { extra: { note: 'n/a' } })])
    expect(table.split('\n')).toHaveLength(4)
    expect(table).toContain('events/s (median)')
    expect(table).toContain('| a subject with no throughput | – | – | – | note: n/a |')
  })
})

describe('bench:ingest options', () => {
  it('a value out of range ends it before anything starts, naming the option and what it wants', async () => {
    const script = fileURLToPath(new URL('../bench/ingest.ts', import.meta.url))
    const ran = await promisify(execFile)(
      process.execPath,
      ['--conditions=@mixguard/source', script, '--rate', 'x', '--workers=-1'],
      { timeout: 30_000 },
    ).then(
      () => ({ code: 0, stderr: '' }),
      (error: { code: number; stderr: string }) => error,
    )
    expect(ran.code).toBe(2)
    expect(ran.stderr).toContain('--rate wants a whole number of callbacks/s (0: no paced rows), not "x"')
    expect(ran.stderr).toContain('--workers wants a whole number (below 2: no workers rows), not "-1"')
  })
})
