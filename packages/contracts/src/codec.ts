import type { z } from 'zod'
import { describeIssues } from './issues.ts'
import { isRecord } from './url-decoding.ts'

/** A decode result named after what it holds: `{ ok: true, event }`, `{ ok: true, decision }`, … */
export type Decoded<K extends string, T> = ({ ok: true } & { [key in K]: T }) | { ok: false; reason: string }

export function encodeJson(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value), 'utf8')
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Kafka values in, validated values out, and never a throw: a record that cannot be read must go to
 * the dead-letter topic with a reason, not stop the partition.
 */
export function decodeWith<K extends string, S extends z.ZodType>(
  schema: S,
  name: K,
  bytes: Uint8Array | string | null | undefined,
): Decoded<K, z.output<S>> {
  if (bytes === null || bytes === undefined) return fail(`${name}: empty value`)
  let text: string
  try {
    text = typeof bytes === 'string' ? bytes : utf8.decode(bytes)
  } catch {
    return fail(`${name}: value is not UTF-8`)
  }
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (error) {
    return fail(`${name}: value is not JSON (${(error as Error).message})`)
  }
  if (isRecord(json) && json.v !== undefined && json.v !== 1) {
    return fail(`${name}: unsupported version ${JSON.stringify(json.v)} (this reader knows v 1)`)
  }
  const result = schema.safeParse(json, { reportInput: true })
  if (!result.success) return fail(`${name}: ${describeIssues(result.error.issues)}`)
  return { ok: true, [name]: result.data } as Decoded<K, z.output<S>>
}

function fail(reason: string): { ok: false; reason: string } {
  return { ok: false, reason }
}
