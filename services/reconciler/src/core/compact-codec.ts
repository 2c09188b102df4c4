import type { z } from 'zod'
import { type Def, defOf, inPlaceParser, numberTest } from './in-place-parse.ts'

/**
 * A value of a zod schema in a compact form, for the changelog: every string once in `strings`, the
 * rest as numbers in `data`, in the schema's order (no keys: an object is its fields in the order of its
 * shape; a record or an array its length, then its entries). JSON.parse reads a state in this form
 * several times faster than the value's own JSON and makes a fraction of the garbage: an array of only
 * numbers is parsed into one block of doubles, and each string (an event id is in a state many times)
 * is made once. What the walk below does not take apart (unions, checked strings) goes whole into
 * `json`, and is checked there like any restored JSON (in-place-parse.ts).
 */
export interface Compact {
  strings: string[]
  /** A decoder also reads these numbers from a Float64Array (how a restore reads them). */
  data: number[]
  json: unknown[]
}

export interface CompactCodec<T> {
  encode(value: T): Compact
  /**
   * The encode in steps, one per entry of a table's top level (a map of maps: a bucket of a state's
   * table), so the caller can let other work run between them (runInSlices). `value` must not change
   * until the last step (a state is never written: draft.ts copies on write).
   */
  encodeSteps(value: T): Generator<void, Compact, void>
  /** The value, or null when `compact` is not one of this schema (corrupt, or of another version). */
  decode(compact: unknown): T | null
}

/**
 * The codec of `schema`, derived from it: the schema stays the one definition of the state. The
 * decoder checks what it reads as the schema says (types, number checks, enums, literals), fills in
 * defaults and runs transforms; it trusts nothing in `compact` (an index out of range, a length past
 * the end, a value of the wrong type: null).
 */
export function compactCodec<T>(schema: z.ZodType<T>): CompactCodec<T> {
  const node = compile(schema)
  function* encodeSteps(value: T): Generator<void, Compact, void> {
    const out: Writer = { strings: [], index: new Map(), data: [], json: [] }
    if (node.steps) yield* node.steps(value, out)
    else node.write(value, out)
    return { strings: out.strings, data: out.data, json: out.json }
  }
  return {
    encode(value) {
      const steps = encodeSteps(value)
      for (;;) {
        const step = steps.next()
        if (step.done) return step.value
      }
    },
    encodeSteps,
    decode(compact) {
      if (typeof compact !== 'object' || compact === null) return null
      const { strings, data, json } = compact as Partial<Compact>
      if (!Array.isArray(strings) || !isNumbers(data) || !Array.isArray(json)) return null
      const input: Reader = { strings, data, json, at: 0 }
      const value = node.read(input)
      // Every number read, none left over: anything else is not this schema's encoding.
      return value === FAIL || input.at !== data.length ? null : (value as T)
    },
  }
}

const FAIL = Symbol('fail')
interface Writer {
  strings: string[]
  index: Map<string, number>
  data: number[]
  json: unknown[]
}
/** `data` as JSON.parse gives it, or as a restore may read it (adapters/state-json.ts). */
const isNumbers = (data: unknown): data is unknown[] | Float64Array =>
  Array.isArray(data) || data instanceof Float64Array
interface Reader {
  strings: unknown[]
  data: ArrayLike<unknown>
  json: unknown[]
  at: number
}
interface Node {
  write(value: unknown, out: Writer): void
  read(input: Reader): unknown
  /** The write in steps (encodeSteps), on a node that holds a table: a step per entry of the table. */
  steps?: (value: unknown, out: Writer) => Generator<void, void, void>
}

/** The next number of `data`; NaN when there is none (a NaN fails every check below). */
function next(input: Reader): number {
  const n = input.data[input.at++]
  return typeof n === 'number' ? n : Number.NaN
}

function string(value: string, out: Writer): void {
  let i = out.index.get(value)
  if (i === undefined) {
    i = out.strings.length
    out.strings.push(value)
    out.index.set(value, i)
  }
  out.data.push(i)
}

const stringNode: Node = {
  write: (value, out) => string(value as string, out),
  read: (input) => {
    const s = input.strings[next(input)]
    return typeof s === 'string' ? s : FAIL
  },
}

const booleanNode: Node = {
  write: (value, out) => out.data.push(value ? 1 : 0),
  read: (input) => {
    const n = next(input)
    return n === 1 ? true : n === 0 ? false : FAIL
  },
}

/** One of a fixed list of values, stored as its index (nothing at all for a single value). */
function choice(values: unknown[]): Node {
  if (values.length === 1) return { write: () => {}, read: () => values[0] }
  const index = new Map(values.map((v, i) => [v, i]))
  return {
    write: (value, out) => out.data.push(index.get(value) ?? -1),
    read: (input) => {
      const n = next(input)
      return Number.isInteger(n) && n >= 0 && n < values.length ? values[n] : FAIL
    },
  }
}

/** Absent (null, undefined) as 0, else 1 and the value. */
function maybe(inner: Node, absent: () => unknown, isAbsent: (value: unknown) => boolean): Node {
  return {
    write: (value, out) => {
      if (isAbsent(value)) out.data.push(0)
      else {
        out.data.push(1)
        inner.write(value, out)
      }
    },
    read: (input) => {
      const n = next(input)
      return n === 0 ? absent() : n === 1 ? inner.read(input) : FAIL
    },
  }
}

/** A value kept whole in `json`, checked on the way back like any restored JSON. */
function whole(schema: z.ZodType): Node {
  const parse = inPlaceParser(schema)
  return {
    write: (value, out) => out.data.push(out.json.push(value) - 1),
    read: (input) => {
      const n = next(input)
      if (!Number.isInteger(n) || n < 0 || n >= input.json.length) return FAIL
      const parsed = parse(input.json[n])
      return parsed.success ? parsed.data : FAIL
    },
  }
}

/** A length stored before the entries; more entries than numbers left cannot be. */
function length(input: Reader): number {
  const n = next(input)
  return Number.isInteger(n) && n >= 0 && n <= input.data.length - input.at ? n : -1
}

function arrayNode(element: Node): Node {
  return {
    write: (value, out) => {
      const array = value as unknown[]
      out.data.push(array.length)
      for (const item of array) element.write(item, out)
    },
    read: (input) => {
      const n = length(input)
      if (n < 0) return FAIL
      if (n === 0) return []
      // Of its final length from the start: a pushed-to array keeps room for 16 more.
      const array: unknown[] = new Array(n)
      for (let i = 0; i < n; i++) {
        const item = element.read(input)
        if (item === FAIL) return FAIL
        array[i] = item
      }
      return array
    },
  }
}

/**
 * A map: its entries in their order (JSON's: undefined values left out), each a key and a value. A
 * table (`table`: a map of maps) is also written in steps, one per entry.
 */
function recordNode(entry: Node, table: boolean): Node {
  /** Writes the entry unless it is left out (undefined); whether it was written. */
  const entryOf = (record: Record<string, unknown>, key: string, out: Writer): boolean => {
    const item = record[key]
    if (item === undefined) return false
    string(key, out)
    entry.write(item, out)
    return true
  }
  return {
    write: (value, out) => {
      const record = value as Record<string, unknown>
      const lengthAt = out.data.push(0) - 1
      let n = 0
      for (const key in record) if (entryOf(record, key, out)) n++
      out.data[lengthAt] = n
    },
    steps: table
      ? function* (value, out) {
          const record = value as Record<string, unknown>
          const lengthAt = out.data.push(0) - 1
          let n = 0
          for (const key in record) {
            if (!entryOf(record, key, out)) continue
            n++
            yield
          }
          out.data[lengthAt] = n
        }
      : undefined,
    read: (input) => {
      const n = length(input)
      if (n < 0) return FAIL
      const record = n > FAST_ENTRIES ? dictionary() : {}
      for (let i = 0; i < n; i++) {
        const key = stringNode.read(input)
        if (key === FAIL) return FAIL
        const item = entry.read(input)
        if (item === FAIL) return FAIL
        // `__proto__` an own key, as JSON.parse makes it, never the prototype.
        if (key === '__proto__') Object.defineProperty(record, key, { ...OWN, value: item })
        else record[key as string] = item
      }
      return record
    },
  }
}

/**
 * A map of up to this many entries is built as V8 builds any object, key after key. A larger one is
 * built in V8's dictionary mode: a map's keys are its records' ids, each new to V8, and every new key
 * added to an object otherwise makes V8 create a hidden class (about 1 µs each: a restore's tables have
 * 7,000 keys per app of 1000 tasks). A dictionary takes a key in about a tenth of that, and is read and
 * copied (draft.ts) as fast. It is still a plain object of Object.prototype: nothing else differs.
 */
const FAST_ENTRIES = 4
const OWN = { enumerable: true, writable: true, configurable: true }

/** An empty object in dictionary mode: removing a property that was not the last one added makes it one. */
function dictionary(): Record<string, unknown> {
  const object: Record<string, unknown> = { a: 0, b: 0 }
  delete object.a
  delete object.b
  return object
}

function objectNode(shape: Record<string, z.ZodType>): Node {
  const fields = Object.entries(shape).map(([key, schema]) => ({
    key,
    node: compile(schema),
    optional: defOf(schema).type === 'optional',
  }))
  return {
    write: (value, out) => {
      const object = value as Record<string, unknown>
      for (const { key, node } of fields) node.write(object[key], out)
    },
    steps: fields.some((f) => f.node.steps)
      ? function* (value, out) {
          const object = value as Record<string, unknown>
          for (const { key, node } of fields) {
            if (node.steps) yield* node.steps(object[key], out)
            else node.write(object[key], out)
          }
        }
      : undefined,
    read:
      generatedRead(fields) ??
      ((input) => {
        const object: Record<string, unknown> = {}
        for (const { key, node, optional } of fields) {
          const item = node.read(input)
          if (item === FAIL) return FAIL
          // An optional field that is absent stays absent, as in JSON.
          if (item !== undefined || !optional) object[key] = item
        }
        return object
      }),
  }
}

/**
 * The read of an object as code of its own, with the object built by one literal: V8 then makes every
 * object of the shape at once in its final layout (and can allocate them where long-lived objects go),
 * which the loop above, adding key after key to one object after another, cannot. As zod compiles its
 * object parsers. Null where the loop is needed (an optional field, absent when undefined) or where
 * code cannot be made from strings (node --disallow-code-generation-from-strings).
 */
function generatedRead(fields: Array<{ key: string; node: Node; optional: boolean }>): Node['read'] | null {
  if (fields.some((f) => f.optional || f.key === '__proto__')) return null
  const reads = fields.map((_, i) => `const v${i} = nodes[${i}].read(input); if (v${i} === FAIL) return FAIL`)
  const literal = fields.map((f, i) => `${JSON.stringify(f.key)}: v${i}`).join(', ')
  const source = `return function read(input) {\n${reads.join('\n')}\nreturn { ${literal} }\n}`
  try {
    return new Function('nodes', 'FAIL', source)(
      fields.map((f) => f.node),
      FAIL,
    )
  } catch {
    return null
  }
}

function compile(schema: z.ZodType): Node {
  const def = defOf(schema)
  switch (def.type) {
    case 'string':
      return def.checks?.length ? whole(schema) : stringNode
    case 'number':
      return numberNode(schema, def)
    case 'boolean':
      return booleanNode
    case 'enum':
      return choice(Object.values(def.entries ?? {}))
    case 'literal':
      return choice(def.values ?? [])
    case 'nullable':
      return maybe(
        compile(def.innerType as z.ZodType),
        () => null,
        (v) => v === null,
      )
    case 'optional':
      return maybe(
        compile(def.innerType as z.ZodType),
        () => undefined,
        (v) => v === undefined,
      )
    case 'default':
      return maybe(
        compile(def.innerType as z.ZodType),
        () => def.defaultValue,
        (v) => v === undefined,
      )
    case 'array':
      return arrayNode(compile(def.element as z.ZodType))
    case 'record': {
      const key = defOf(def.keyType as z.ZodType)
      return key.type === 'string' && !key.checks?.length
        ? recordNode(compile(def.valueType as z.ZodType), isMap(def.valueType as z.ZodType))
        : whole(schema)
    }
    case 'object':
      return def.catchall ? whole(schema) : objectNode(def.shape ?? {})
    case 'pipe': {
      const out = defOf(def.out as z.ZodType)
      // A transform that takes zod's context may report issues: only zod can run it.
      if (out.type !== 'transform' || (out.transform?.length ?? 2) > 1) return whole(schema)
      // What a transform returns is stored as its input (the transforms here only complete a value).
      const input = compile(def.in as z.ZodType)
      const transform = out.transform as (value: unknown) => unknown
      return {
        write: input.write,
        read: (reader) => {
          const value = input.read(reader)
          return value === FAIL ? FAIL : transform(value)
        },
      }
    }
    default:
      return whole(schema)
  }
}

function numberNode(schema: z.ZodType, def: Def): Node {
  const test = numberTest(def)
  if (test === null) return whole(schema)
  return {
    write: (value, out) => out.data.push(value as number),
    read: (input) => {
      const n = next(input)
      return test(n) ? n : FAIL
    },
  }
}

/** A map, or an optional or nullable one: what makes a map of them a table (written in steps). */
function isMap(schema: z.ZodType): boolean {
  const def = defOf(schema)
  if (def.type === 'optional' || def.type === 'nullable') return isMap(def.innerType as z.ZodType)
  return def.type === 'record'
}
