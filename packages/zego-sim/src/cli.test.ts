import { type ChildProcess, execFile, spawn } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterEach, describe, expect, it } from 'vitest'

const CLI = fileURLToPath(new URL('./cli.ts', import.meta.url))
const run = promisify(execFile)
let server: ChildProcess | undefined

afterEach(async () => {
  if (server && server.exitCode === null) {
    server.kill('SIGTERM')
    await once(server, 'exit')
  }
})

/** Resolves with the first stdout line that matches. */
function firstLine(child: ChildProcess, pattern: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8')
      const line = buffer.split('\n').find((l) => pattern.test(l))
      if (line !== undefined) resolve(line)
    })
    child.once('exit', (code) => reject(new Error(`cli exited with ${code}`)))
  })
}

describe('cli', () => {
  it('serves on a free port, prints where, and answers commands against it', async () => {
    server = spawn(
      process.execPath,
      [CLI, 'serve', '--port', '0', '--scale', '100', '--app', '4001:srv:cb'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    )
    const line = await firstLine(server, /listening on/)
    const url = /listening on (\S+)/.exec(line)?.[1] ?? ''
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/)
    const publish = await run(process.execPath, [
      CLI,
      '--sim',
      url,
      'publish',
      '--app-id',
      '4001',
      '--room',
      'r',
      '--stream',
      's',
      '--user',
      'u',
    ])
    expect(JSON.parse(publish.stdout)).toMatchObject({ streamId: 's', live: true })
    const mix = await run(process.execPath, [
      CLI,
      '--sim',
      url,
      'start-mix',
      '--app-id',
      '4001',
      '--task',
      't',
      '--user',
      'm',
      '--inputs',
      's',
      '--outputs',
      'o',
    ])
    expect(JSON.parse(mix.stdout)).toMatchObject({ ok: true, zegoCode: 0 })
    const apps = await run(process.execPath, [CLI, '--sim', url, 'apps'])
    expect(JSON.parse(apps.stdout)).toEqual([
      expect.objectContaining({ appId: 4001, serverSecret: 'srv', callbackSecret: 'cb' }),
    ])
    // Four Node processes start one after another: on a loaded 2-core machine that outlasts 5 s.
  }, 30_000)
})
