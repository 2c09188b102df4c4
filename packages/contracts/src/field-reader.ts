import type { z } from 'zod'
import { type FieldRead, fieldRead } from './fields.ts'

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
  return (input) => {
    if (Object.getPrototypeOf(input) !== Object.prototype || Object.hasOwn(input, '__proto__'))
      return schema.safeParse(input)
    // Entries, then one object: built member by member, two dozen keys make a dictionary object,
    // slower for everything that reads the payload after (the event id's copy above all).
    const entries: Array<[string, unknown]> = []
    for (const [key, read] of fields) {
      const parsed = read(input[key])
      if ('problem' in parsed) return schema.safeParse(input)
      // As zod does: a field read as undefined is set only when the input has the key.
      if (parsed.value !== undefined || key in input) entries.push([key, parsed.value])
    }
    for (const key of Object.keys(input)) if (!declared.has(key)) entries.push([key, input[key]])
    return { success: true, data: Object.fromEntries(entries) as z.output<S> }
  }
}

/** A field that is not one of fields.ts's (the `event` literal): zod reads it. */
function viaZod(field: z.ZodType): FieldRead {
  return (value) => {
    const result = field.safeParse(value)
    return result.success ? { value: result.data } : { problem: result.error.message }
  }
}
