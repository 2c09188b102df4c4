import { createHash } from 'node:crypto'

/**
 * JSON with object keys sorted at every depth, so equal values always give equal text whatever the
 * order their keys were built in. `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Record<string, unknown> = {}
  for (const key of Object.keys(value).sort()) {
    out[key] = sortKeys((value as Record<string, unknown>)[key])
  }
  return out
}

/** sha256 (lowercase hex) of the canonical JSON of `parts`. */
export function contentHash(parts: readonly unknown[]): string {
  return createHash('sha256').update(canonicalJson(parts), 'utf8').digest('hex')
}
