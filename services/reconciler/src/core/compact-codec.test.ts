import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { compactCodec } from './compact-codec.ts'

const Schema = z.object({
  id: z.string(),
  kind: z.enum(['a', 'b', 'c']),
  v: z.literal(1),
  on: z.boolean(),
  n: z.number().int().min(0),
  note: z.string().nullable(),
  label: z.string().min(2), // a check only zod runs: stored whole
  extra: z.object({ at: z.number(), tag: z.string().optional() }),
  later: z.number().nullable().default(null),
  list: z.array(z.string()),
  map: z.record(z.string(), z.object({ k: z.string() }).optional()),
  pick: z.union([z.string(), z.number()]),
  doubled: z.object({ x: z.number() }).transform((o) => Object.assign(o, { twice: o.x * 2 })),
})

const codec = compactCodec(Schema)
const value: z.output<typeof Schema> = {
  id: 'one',
  kind: 'b' as const,
  v: 1 as const,
  on: true,
  n: 7,
  note: null,
  label: 'ok',
  extra: { at: 1.5 },
  later: null,
  list: ['one', 'two', 'one'],
  // As a state restored from JSON may have it: `__proto__` an own key.
  map: { x: { k: 'one' }, gone: undefined, ...JSON.parse('{ "__proto__": { "k": "p" } }') },
  pick: 3,
  doubled: { x: 4, twice: 8 },
}
const roundTrip = (compact: unknown) => codec.decode(JSON.parse(JSON.stringify(compact)))

describe('the compact codec', () => {
  it('reads back what it wrote, as JSON would (undefined entries and absent optionals left out)', () => {
    const back = roundTrip(codec.encode(value))
    expect(back).toEqual(JSON.parse(JSON.stringify(value)))
    expect(back && 'tag' in back.extra).toBe(false)
    expect(back && Object.keys(back.map)).toEqual(['x', '__proto__'])
  })

  it('keeps `__proto__` a key of a map, as JSON.parse does, never its prototype', () => {
    const back = roundTrip(codec.encode(value))
    expect(back && Object.getPrototypeOf(back.map)).toBe(Object.prototype)
    expect(back && Object.getOwnPropertyDescriptor(back.map, '__proto__')?.value).toEqual({ k: 'p' })
  })

  it('reads a large map as JSON.parse does: its keys in their order, `__proto__` an own key', () => {
    const entries = Array.from({ length: 30 }, (_, i) => [`id-${29 - i}`, { k: String(i) }])
    const map = JSON.parse(
      JSON.stringify(Object.fromEntries([['7', { k: 'n' }], ...entries, ['1', { k: 'm' }]])),
    )
    Object.defineProperty(map, '__proto__', { value: { k: 'p' }, enumerable: true, writable: true })
    const large = { ...value, map }
    const back = roundTrip(codec.encode(large))
    expect(back).toEqual(JSON.parse(JSON.stringify(large)))
    expect(back && Object.keys(back.map)).toEqual(Object.keys(JSON.parse(JSON.stringify(large)).map))
    expect(back && Object.getPrototypeOf(back.map)).toBe(Object.prototype)
    expect(back && Object.getOwnPropertyDescriptor(back.map, '__proto__')?.value).toEqual({ k: 'p' })
  })

  it('stores each string once and no key', () => {
    const compact = JSON.parse(JSON.stringify(codec.encode(value)))
    expect(compact.strings.filter((s: string) => s === 'one')).toHaveLength(1)
    expect(compact.strings).not.toContain('kind')
    expect(compact.json).toEqual(['ok', 3])
  })

  it('reads its numbers from a Float64Array as from an array (how a restore reads them)', () => {
    const compact = JSON.parse(JSON.stringify(codec.encode(value)))
    const typed = { ...compact, data: Float64Array.from(compact.data) }
    expect(codec.decode(typed)).toEqual(JSON.parse(JSON.stringify(value)))
    expect(codec.decode({ ...typed, data: typed.data.subarray(0, -1) })).toBeNull()
    expect(codec.decode({ ...typed, data: Float64Array.of(...compact.data, 0) })).toBeNull()
    expect(codec.decode({ ...typed, data: typed.data.with(2, Number.NaN) })).toBeNull()
    expect(codec.decode({ ...typed, data: Float32Array.from(compact.data) })).toBeNull()
  })

  it('checks what it reads as the schema does: a value it would refuse makes the whole null', () => {
    const compact = JSON.parse(JSON.stringify(codec.encode(value)))
    const at = (i: number, n: unknown) => ({ ...compact, data: compact.data.with(i, n) })
    expect(codec.decode(compact)).not.toBeNull()
    expect(codec.decode(at(1, 3))).toBeNull() // kind: no fourth value
    expect(codec.decode(at(2, 2))).toBeNull() // on: neither 0 nor 1
    expect(codec.decode(at(3, -1))).toBeNull() // n: below its minimum
    expect(codec.decode(at(3, 1.5))).toBeNull() // n: not an integer
    expect(codec.decode({ ...compact, json: ['x', 3] })).toBeNull() // label: too short
    expect(codec.decode({ ...compact, json: ['ok', true] })).toBeNull() // pick: neither
    expect(codec.decode(at(0, compact.strings.length))).toBeNull() // id: no such string
    expect(codec.decode(null)).toBeNull()
  })
})
