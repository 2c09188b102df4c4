import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { schemaIncompatibilities } from './schema-compatibility.ts'

const json = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>

const v1 = z.object({
  id: z.string(),
  reason: z.enum(['a', 'b']),
  evidence: z.object({ ids: z.array(z.string()) }),
  note: z.string().optional(),
})

describe('schemaIncompatibilities', () => {
  it('accepts the same schema and an added optional field, also nested, and a new description', () => {
    expect(schemaIncompatibilities(json(v1), json(v1))).toEqual([])
    const next = v1.extend({
      extra: z.number().optional(),
      evidence: z.object({ ids: z.array(z.string()), more: z.string().optional() }).describe('why'),
    })
    expect(schemaIncompatibilities(json(v1), json(next))).toEqual([])
  })

  it('refuses an added required field, a removed field, a changed type and a changed enum', () => {
    expect(schemaIncompatibilities(json(v1), json(v1.extend({ extra: z.number() })))).toEqual([
      '$.extra: added as required (only optional fields may be added)',
    ])
    expect(schemaIncompatibilities(json(v1), json(v1.omit({ note: true })))).toEqual(['$.note: removed'])
    expect(schemaIncompatibilities(json(v1), json(v1.extend({ id: z.number() })))).toEqual([
      '$.id: type changed from "string" to "number"',
    ])
    expect(schemaIncompatibilities(json(v1), json(v1.extend({ reason: z.enum(['a', 'b', 'c']) })))).toEqual([
      '$.reason: enum changed from ["a","b"] to ["a","b","c"]',
    ])
  })

  it('refuses a field made optional, a nested change and a changed union', () => {
    expect(schemaIncompatibilities(json(v1), json(v1.extend({ id: z.string().optional() })))).toEqual([
      '$.id: no longer required',
    ])
    const nested = v1.extend({ evidence: z.object({ ids: z.array(z.number()) }) })
    expect(schemaIncompatibilities(json(v1), json(nested))).toEqual([
      '$.evidence.ids[]: type changed from "string" to "number"',
    ])
    const union = json(z.union([z.string(), z.number()]))
    expect(schemaIncompatibilities(union, json(z.union([z.string(), z.number(), z.null()])))).toEqual([
      '$: anyOf branches changed (2 → 3)',
    ])
  })
})
