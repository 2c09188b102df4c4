import type { z } from 'zod'

/**
 * A parser with the verdict of a zod schema that checks freshly parsed JSON where it lies instead of
 * copying it: a restore reads hundreds of megabytes of state, and zod builds a second copy of every
 * object it checks. The schema stays the one definition: its objects, records, arrays, nullables,
 * optionals, defaults, enums, literals, plain strings and numbers (finite, safe-integer, bounds) are
 * checked here, anything else is handed to zod for that value. A value that fails is parsed again by
 * zod as a whole, so a refusal carries zod's error and nothing is refused that zod would accept.
 * `value` is consumed: defaults are filled in, unknown keys removed and transforms applied in place,
 * and equal long strings in it are made one (a restored state holds each event id many times).
 */
export function inPlaceParser<T>(schema: z.ZodType<T>): (value: unknown) => z.ZodSafeParseResult<T> {
  const check = compile(schema)
  return (value) => {
    const checked = check(value, new Map())
    if (checked !== FAIL) return { success: true, data: checked as T }
    return schema.safeParse(value)
  }
}

const FAIL = Symbol('fail')
/** Equal long strings of one value (event ids, above all) are kept once: the first copy read. */
type Strings = Map<string, string>
function shared(v: string, strings: Strings): string {
  if (v.length < 24) return v
  const known = strings.get(v)
  if (known !== undefined) return known
  strings.set(v, v)
  return v
}
type Check = (value: unknown, strings: Strings) => unknown

export interface Def {
  type: string
  checks?: Array<{ _zod: { def: { check: string; format?: string; value?: unknown; inclusive?: boolean } } }>
  shape?: Record<string, z.ZodType>
  catchall?: z.ZodType
  keyType?: z.ZodType
  valueType?: z.ZodType
  element?: z.ZodType
  innerType?: z.ZodType
  defaultValue?: unknown
  entries?: Record<string, unknown>
  values?: unknown[]
  in?: z.ZodType
  out?: z.ZodType
  transform?: (value: unknown) => unknown
}

export const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def
export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)

function byZod(schema: z.ZodType): Check {
  return (value) => {
    const parsed = schema.safeParse(value)
    return parsed.success ? parsed.data : FAIL
  }
}

function compile(schema: z.ZodType): Check {
  const def = defOf(schema)
  switch (def.type) {
    case 'string':
      return def.checks?.length
        ? byZod(schema)
        : (v, strings) => (typeof v === 'string' ? shared(v, strings) : FAIL)
    case 'number':
      return compileNumber(schema, def)
    case 'boolean':
      return (v) => (typeof v === 'boolean' ? v : FAIL)
    case 'enum': {
      const allowed = new Set(Object.values(def.entries ?? {}))
      return (v) => (allowed.has(v) ? v : FAIL)
    }
    case 'literal': {
      const allowed = new Set(def.values)
      return (v) => (allowed.has(v) ? v : FAIL)
    }
    case 'nullable': {
      const inner = compile(def.innerType as z.ZodType)
      return (v, strings) => (v === null ? null : inner(v, strings))
    }
    case 'optional': {
      const inner = compile(def.innerType as z.ZodType)
      return (v, strings) => (v === undefined ? undefined : inner(v, strings))
    }
    case 'default': {
      const inner = compile(def.innerType as z.ZodType)
      return (v, strings) => (v === undefined ? def.defaultValue : inner(v, strings))
    }
    case 'array':
      return compileArray(compile(def.element as z.ZodType))
    case 'record':
      return defOf(def.keyType as z.ZodType).type === 'string' &&
        !defOf(def.keyType as z.ZodType).checks?.length
        ? compileRecord(compile(def.valueType as z.ZodType))
        : byZod(schema)
    case 'object':
      return def.catchall ? byZod(schema) : compileObject(def.shape ?? {})
    case 'pipe': {
      const out = defOf(def.out as z.ZodType)
      // A transform that takes zod's context may report issues: only zod can run it.
      if (out.type !== 'transform' || (out.transform?.length ?? 2) > 1) return byZod(schema)
      const input = compile(def.in as z.ZodType)
      const transform = out.transform as (value: unknown) => unknown
      return (v, strings) => {
        const checked = input(v, strings)
        return checked === FAIL ? FAIL : transform(checked)
      }
    }
    default:
      return byZod(schema)
  }
}

/** The test of a number schema (finite, then its checks), or null for a check only zod can run. */
export function numberTest(def: Def): ((n: number) => boolean) | null {
  const tests: Array<(n: number) => boolean> = []
  for (const check of def.checks ?? []) {
    const c = check._zod.def
    const bound = c.value as number
    if (c.check === 'number_format' && c.format === 'safeint') tests.push(Number.isSafeInteger)
    else if (c.check === 'greater_than') tests.push(c.inclusive ? (n) => n >= bound : (n) => n > bound)
    else if (c.check === 'less_than') tests.push(c.inclusive ? (n) => n <= bound : (n) => n < bound)
    else return null
  }
  return (n) => {
    if (!Number.isFinite(n)) return false
    for (const test of tests) if (!test(n)) return false
    return true
  }
}

function compileNumber(schema: z.ZodType, def: Def): Check {
  const test = numberTest(def)
  if (test === null) return byZod(schema)
  return (v) => (typeof v === 'number' && test(v) ? v : FAIL)
}

function compileArray(element: Check): Check {
  return (v, strings) => {
    if (!Array.isArray(v)) return FAIL
    for (let i = 0; i < v.length; i++) {
      const checked = element(v[i], strings)
      if (checked === FAIL) return FAIL
      v[i] = checked
    }
    return v
  }
}

function compileRecord(value: Check): Check {
  return (v, strings) => {
    if (!isObject(v)) return FAIL
    for (const key in v) {
      const checked = value(v[key], strings)
      if (checked === FAIL) return FAIL
      v[key] = checked
    }
    return v
  }
}

function compileObject(shape: Record<string, z.ZodType>): Check {
  const fields = Object.entries(shape).map(([key, schema]) => ({ key, check: compile(schema) }))
  return (v, strings) => {
    if (!isObject(v)) return FAIL
    let known = 0
    for (const { key, check } of fields) {
      const checked = check(v[key], strings)
      if (checked === FAIL) return FAIL
      if (checked === undefined && !(key in v)) continue
      v[key] = checked
      known++
    }
    let keys = 0
    for (const _ in v) keys++
    // Like zod, keys the schema does not know are dropped.
    if (keys > known) for (const key in v) if (!Object.hasOwn(shape, key)) delete v[key]
    return v
  }
}
