// Nothing a bench starts outlives it: every broker, service, load generator and temp dir registers
// its cleanup here, and the cleanups run when the bench ends — normally, on an error, or on Ctrl-C /
// SIGTERM (then the process exits 130 / 143 once they are done). Child processes are also killed
// synchronously on exit, in case a cleanup never got its turn.
import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const cleanups: Array<() => Promise<unknown>> = []
const children = new Set<ChildProcess>()
let trapped = false

/** Registers a cleanup (run last-in, first-out); returns a function that runs it now instead. */
export function onTeardown(cleanup: () => Promise<unknown>): () => Promise<void> {
  cleanups.push(cleanup)
  return async () => {
    const i = cleanups.indexOf(cleanup)
    if (i === -1) return
    cleanups.splice(i, 1)
    await cleanup()
  }
}

/** Runs every registered cleanup, newest first; a failing cleanup is reported and the rest still run. */
export async function teardown(): Promise<void> {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error: unknown) => console.error('bench cleanup failed:', error))
  }
}

/** A child process that is stopped at teardown (SIGTERM, SIGKILL after `graceMs`) and killed on exit. */
export function spawnOwned(
  command: string,
  args: readonly string[],
  options: SpawnOptions & { graceMs?: number } = {},
): { child: ChildProcess; exited: Promise<number | null>; stop: () => Promise<void> } {
  trapSignals()
  const child = spawn(command, args, options)
  children.add(child)
  // A command that cannot start (not installed) emits 'error' and may never emit 'exit': it has exited
  // too (null), and the caller's own 'error' listener has the reason.
  const exited = new Promise<number | null>((resolve) => {
    const done = (code: number | null) => {
      children.delete(child)
      resolve(code)
    }
    child.once('exit', done)
    child.once('error', () => {
      if (child.pid === undefined) done(null)
    })
  })
  const stop = onTeardown(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    child.kill('SIGTERM')
    const timer = setTimeout(() => child.kill('SIGKILL'), options.graceMs ?? 5_000)
    await exited
    clearTimeout(timer)
  })
  return { child, exited, stop }
}

/**
 * Runs a bench script (`bench/<script>`) in a Node process of its own, from the sources, and parses
 * the JSON it prints on stdout. `nodeFlags` go before the script (e.g. --expose-gc).
 */
export async function runJsonChild<T>(
  script: string,
  args: readonly string[],
  nodeFlags: string[] = [],
): Promise<T> {
  const path = fileURLToPath(new URL(script, import.meta.url))
  const owned = spawnOwned(process.execPath, [...nodeFlags, '--conditions=@mixguard/source', path, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  let out = ''
  owned.child.stdout?.on('data', (d: Buffer) => {
    out += d.toString()
  })
  const code = await owned.exited
  await owned.stop()
  if (code !== 0) throw new Error(`${script} failed (exit ${code})`)
  return JSON.parse(out) as T
}

/** Makes Ctrl-C and SIGTERM run the cleanups before exiting. Idempotent. */
export function trapSignals(): void {
  if (trapped) return
  trapped = true
  let signalled = false
  const onSignal = (signal: NodeJS.Signals, code: number) => {
    // A second signal exits at once (child processes are still killed on exit; the broker's watchdog
    // stops its JVM when this process is gone).
    if (signalled) process.exit(code)
    signalled = true
    console.error(`\n${signal}: stopping everything the bench started (again to exit at once)`)
    setTimeout(() => process.exit(code), 30_000).unref()
    void teardown().finally(() => process.exit(code))
  }
  process.on('SIGINT', () => onSignal('SIGINT', 130))
  process.on('SIGTERM', () => onSignal('SIGTERM', 143))
  process.once('exit', () => {
    for (const child of children) child.kill('SIGKILL')
  })
}

/** Runs a standalone bench's body with the signal trap set and the cleanups run whatever happens. */
export async function standalone(body: () => Promise<void>): Promise<void> {
  trapSignals()
  try {
    await body()
  } catch (error) {
    console.error(error)
    process.exitCode = 1
  } finally {
    await teardown()
  }
}
