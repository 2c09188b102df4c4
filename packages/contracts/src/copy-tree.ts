type Container = unknown[] | Record<string, unknown>

export interface CopyTreeOptions {
  /** Which non-array objects are copied member by member; any other object is a leaf. */
  isObject: (value: object) => boolean
  /** The keys of such an object, in the order the copy gets them. */
  keys: (value: Record<string, unknown>) => string[]
  /** What a leaf (anything not copied member by member) becomes in the copy. */
  leaf: (value: unknown) => unknown
}

/**
 * A deep copy of arrays and objects, depth first and in key order, with an explicit stack instead of
 * recursion: a body nested 100,000 deep is copied like any other, never a stack overflow. Copies are
 * plain arrays and objects; members are assigned as `copy[key] = …`, as a recursive copy would.
 */
export function copyTree(value: unknown, options: CopyTreeOptions): unknown {
  const from: Container[] = []
  const to: Container[] = []
  const keys: Array<string[] | null> = []
  const next: number[] = []
  const copy = (v: unknown): unknown => {
    if (Array.isArray(v)) {
      const out = new Array<unknown>(v.length)
      from.push(v)
      to.push(out)
      keys.push(null)
      next.push(0)
      return out
    }
    if (typeof v === 'object' && v !== null && options.isObject(v)) {
      const out: Record<string, unknown> = {}
      from.push(v as Record<string, unknown>)
      to.push(out)
      keys.push(options.keys(v as Record<string, unknown>))
      next.push(0)
      return out
    }
    return options.leaf(v)
  }
  const root = copy(value)
  while (from.length > 0) {
    const top = from.length - 1
    const i = next[top] as number
    const names = keys[top] as string[] | null
    const size = names === null ? (from[top] as unknown[]).length : names.length
    if (i >= size) {
      from.pop()
      to.pop()
      keys.pop()
      next.pop()
      continue
    }
    next[top] = i + 1
    const key = names === null ? i : (names[i] as string)
    const source = from[top] as Record<string | number, unknown>
    const target = to[top] as Record<string | number, unknown>
    target[key] = copy(source[key])
  }
  return root
}
