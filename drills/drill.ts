import type { DrillReport, Row } from './report.ts'
import type { SecretBook } from './secret-book.ts'

export interface DrillContext {
  /** The broker most drills share (the broker drill starts its own). */
  brokers: string[]
  book: SecretBook
  /** The environment the local broker reads (KAFKA_* and Java settings). */
  env: NodeJS.ProcessEnv
  /** Short versions, for CI. */
  short: boolean
  /** Where each stack keeps its processes' logs and zego-sim's call ledger (none kept when unset). */
  logDir?: string | undefined
  progress(message: string): void
}

export interface Drill {
  name: string
  run(ctx: DrillContext): Promise<Row[]>
}

/** Runs one drill and never throws: a drill that breaks is reported as such, with what it measured. */
export async function runDrill(drill: Drill, ctx: DrillContext): Promise<DrillReport> {
  const startedAt = new Date()
  const began = performance.now()
  ctx.progress(`${drill.name}: starting`)
  const report = (rows: Row[], error?: string): DrillReport => ({
    drill: drill.name,
    short: ctx.short,
    startedAt: startedAt.toISOString(),
    seconds: Math.round((performance.now() - began) / 100) / 10,
    rows,
    ...(error === undefined ? {} : { error }),
  })
  try {
    const rows = await drill.run(ctx)
    ctx.progress(`${drill.name}: done in ${Math.round((performance.now() - began) / 1000)} s`)
    return report(rows)
  } catch (error) {
    ctx.progress(`${drill.name}: broke: ${(error as Error).stack ?? String(error)}`)
    return report([], (error as Error).message)
  }
}

/** Resolves with `promise`, or with `fallback` once `ms` have passed (a bounded wait on an event). */
export async function within<T>(promise: Promise<T>, ms: number, fallback: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(fallback), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves with `promise`, or fails naming `what` once `ms` have passed. */
export async function before<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const missed = Symbol('missed')
  const result = await within<T | typeof missed>(promise, ms, missed)
  if (result === missed) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
  return result
}
