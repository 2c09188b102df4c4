import { execFile } from 'node:child_process'
import { homedir } from 'node:os'
import { join } from 'node:path'

/** Where downloaded things live: MIXGUARD_CACHE, else $XDG_CACHE_HOME/mixguard, else ~/.cache/mixguard. */
export function cacheDir(env: NodeJS.ProcessEnv): string {
  return env.MIXGUARD_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'mixguard')
}

export function javaBinary(env: NodeJS.ProcessEnv): string {
  return env.JAVA_HOME ? join(env.JAVA_HOME, 'bin', 'java') : 'java'
}

/** Runs a command and resolves with its combined output, or rejects with that output in the message. */
export function run(
  file: string,
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { ...options, maxBuffer: 16 * 1024 * 1024 }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`
      if (error) reject(Object.assign(error, { output }))
      else resolve(output)
    })
  })
}

/** The major version of the Java on PATH (or JAVA_HOME), or null when there is none. */
export async function javaMajorVersion(env: NodeJS.ProcessEnv): Promise<number | null> {
  try {
    const output = await run(javaBinary(env), ['-version'], { env })
    const match = /version "(\d+)(?:\.(\d+))?/.exec(output)
    if (!match) return null
    const major = Number(match[1])
    return major === 1 ? Number(match[2]) : major
  } catch {
    return null
  }
}
