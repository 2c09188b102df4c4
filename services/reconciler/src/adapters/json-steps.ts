/**
 * A value's JSON, the text JSON.stringify gives, made in steps (for runInSlices): the JSON of a large
 * state (a compact one is mostly an array of a million numbers, 5 MB of text) takes tens of ms in one
 * JSON.stringify, on the loop every deadline and answer waits on. Arrays are written `itemsPerStep`
 * items a step; plain objects key by key, down to OBJECT_DEPTH (a v1 state's table, bucket by bucket),
 * a step for each value written whole: every other value, and what lies deeper, by JSON.stringify.
 */
export function* jsonSteps(value: unknown, itemsPerStep = 4096): Generator<void, string, void> {
  const parts: string[] = []
  yield* write(value, parts, 0, Math.max(1, itemsPerStep))
  return parts.join('')
}

const OBJECT_DEPTH = 3

function* write(value: unknown, parts: string[], depth: number, per: number): Generator<void, void, void> {
  if (Array.isArray(value) && value.length > per && !('toJSON' in value)) {
    for (let i = 0; i < value.length; i += per) {
      // The slice's items as JSON writes them in an array (undefined as null), without its brackets.
      const items = JSON.stringify(value.slice(i, i + per)).slice(1, -1)
      parts.push(i === 0 ? `[${items}` : `,${items}`)
      yield
    }
    parts.push(']')
  } else if (depth < OBJECT_DEPTH && isPlainObject(value)) {
    let separator = '{'
    for (const key of Object.keys(value)) {
      const item = value[key]
      // What JSON leaves out of an object.
      if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue
      parts.push(`${separator}${JSON.stringify(key)}:`)
      separator = ','
      yield* write(item, parts, depth + 1, per)
    }
    parts.push(separator === '{' ? '{}' : '}')
  } else {
    // undefined and functions have no JSON at the top (JSON.stringify gives undefined): not a state.
    const json = JSON.stringify(value) as string | undefined
    if (json === undefined) throw new TypeError(`no JSON for a ${typeof value}`)
    parts.push(json)
    if (depth > 0) yield
  }
}

/** An object JSON writes key by key: of Object's prototype (or none), without a toJSON of its own. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return (
    (proto === Object.prototype || proto === null) &&
    typeof (value as { toJSON?: unknown }).toJSON !== 'function'
  )
}
