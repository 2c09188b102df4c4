import type { z } from 'zod'
import { type FieldRead, fieldRead } from './fields.ts'
import { sameKeyList } from './same-key-list.ts'

export type ObjectRead<S extends z.ZodType> = (
  input: Record<string, unknown>,
) => z.ZodSafeParseResult<z.output<S>>

/**
 * `schema.safeParse` for a loose object whose fields are fields.ts fields, without zod's per-field
 * machinery (a pipe, a context and an issue array per field): ingest parses every callback with it.
 * Same result: the declared keys in the schema's order, each read by the field's own function, then
 * the other keys as they came. On any problem, and for an input that is not a plain object, it is
 * zod's own safeParse, so the reasons stay zod's word for word.
 */
export function objectReader<S extends z.ZodObject>(schema: S): ObjectRead<S> {
  if (schema.def.catchall?._zod.def.type !== 'unknown')
    throw new Error('objectReader reads loose objects only')
  const fields = Object.entries(schema.shape).map(
    ([key, field]) => [key, fieldRead(field as z.ZodType) ?? viaZod(field as z.ZodType)] as const,
  )
  const declared = new Set(fields.map(([key]) => key))
  // What the last input's keys made: which declared keys were set, the extra keys, and an object with
  // the result's keys in order. An input with the same keys is read into a spread copy of that object
  // (the values set in place), not built from entries again.
  let last: ReadShape | null = null
  return (input) => {
    if (Object.getPrototypeOf(input) !== Object.prototype || Object.hasOwn(input, '__proto__'))
      return schema.safeParse(input)
    const keys = Object.keys(input)
    const shape = last
    if (shape !== null && sameKeyList(keys, shape.keys)) {
      const data: Record<string, unknown> = { ...shape.template }
      let i = 0
      for (const [key, read] of fields) {
        const parsed = read(input[key])
        if ('problem' in parsed) return schema.safeParse(input)
        const set = parsed.value !== undefined || key in input
        // Not the last input's shape after all (a field read as undefined): read it from entries.
        if (set !== shape.set[i++]) return readFromEntries(input, keys)
        if (set) data[key] = parsed.value
      }
      for (const key of shape.extras) data[key] = input[key]
      return { success: true, data: data as z.output<S> }
    }
    return readFromEntries(input, keys)
  }

  function readFromEntries(
    input: Record<string, unknown>,
    keys: string[],
  ): z.ZodSafeParseResult<z.output<S>> {
    // Entries, then one object: built member by member, two dozen keys make a dictionary object,
    // slower for everything that reads the payload after (the event id's copy above all).
    const entries: Array<[string, unknown]> = []
    const set: boolean[] = []
    for (const [key, read] of fields) {
      const parsed = read(input[key])
      if ('problem' in parsed) return schema.safeParse(input)
      // As zod does: a field read as undefined is set only when the input has the key.
      const isSet = parsed.value !== undefined || key in input
      set.push(isSet)
      if (isSet) entries.push([key, parsed.value])
    }
    const extras = keys.filter((key) => !declared.has(key))
    for (const key of extras) entries.push([key, input[key]])
    last = { keys, set, extras, template: Object.fromEntries(entries.map(([key]) => [key, null])) }
    return { success: true, data: Object.fromEntries(entries) as z.output<S> }
  }
}

interface ReadShape {
  keys: readonly string[]
  /** For each declared field, in the schema's order: whether the result has it. */
  set: readonly boolean[]
  extras: readonly string[]
  template: Record<string, null>
}

/** A field that is not one of fields.ts's (the `event` literal): zod reads it. */
function viaZod(field: z.ZodType): FieldRead {
  return (value) => {
    const result = field.safeParse(value)
    return result.success ? { value: result.data } : { problem: result.error.message }
  }
}
