import { hash } from 'node:crypto'
import { copyTree } from './copy-tree.ts'

/**
 * JSON with object keys sorted at every depth, so equal values always give equal text whatever the
 * order their keys were built in. `undefined` members are dropped, as JSON.stringify does.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortedCopy(value))
}

/**
 * A plain copy of `value` with object keys inserted in sorted order at every depth, so JSON.stringify
 * of it is canonical JSON; `leaf` maps every value that is not an array or object on the way (one
 * copy where a caller would otherwise map first and sort after). Iterative at any depth.
 */
export function sortedCopy(value: unknown, leaf: (value: unknown) => unknown = same): unknown {
  if (typeof value !== 'object' || value === null) return leaf(value)
  return copyTree(value, { isObject: always, keys: sortedKeys, leaf })
}

const same = (value: unknown): unknown => value
const always = (): boolean => true
const sortedKeys = (value: Record<string, unknown>): string[] => Object.keys(value).sort()

/** sha256 (lowercase hex) of the canonical JSON of `parts`. */
export function contentHash(parts: readonly unknown[]): string {
  return sha256Hex(canonicalJson(parts))
}

/** sha256 (lowercase hex) of a text, as UTF-8. One-shot: no Hash object per call. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex')
}
