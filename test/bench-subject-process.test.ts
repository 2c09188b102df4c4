// A bench's service process that never gets ready is stopped when its start gives up, not left
// running (consuming CPU and the broker) while the rest of `pnpm bench` goes on.
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '@mixguard/kafka/local'
import { afterEach, describe, expect, it } from 'vitest'
import { startServiceProcess } from '../bench/subject-process.ts'
import { isAlive as alive } from './process-alive.ts'
import { waitFor } from './wait-for.ts'

describe('a bench service process', () => {
  let dir = ''
  afterEach(() => rm(dir, { recursive: true, force: true }))

  it('is stopped when it is not ready in time', async () => {
    dir = await mkdtemp(join(tmpdir(), 'bench-never-ready-'))
    const logFile = join(dir, 'out.log')
    const started = startServiceProcess(
      'never-ready',
      fileURLToPath(new URL('never-ready-child.ts', import.meta.url)),
      {
        env: {},
        // Nothing listens there: the readiness check never passes.
        readyUrl: `http://127.0.0.1:${await freePort()}/readyz`,
        readyTimeoutMs: 10_000,
        logFile,
      },
    )
    const failed = expect(started).rejects.toThrow(
      'timed out after 10000 ms waiting for never-ready to be ready',
    )
    let pid = 0
    await waitFor('its pid', async () => {
      pid = Number(await readFile(logFile, 'utf8').catch(() => ''))
      return pid > 0
    })
    await failed
    expect(alive(pid)).toBe(false)
  })
})
