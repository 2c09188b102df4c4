import fc from 'fast-check'
import { describe, expect, test } from 'vitest'
import { z } from 'zod'
import { CALLBACK_SCHEMAS } from './callbacks.ts'
import { objectReader } from './field-reader.ts'

// Values of the kinds callback bodies hold (JSON and forms), and the edges the field parsers decide on.
const scalar = fc.oneof(
  fc.constantFrom(
    '',
    '0',
    '1',
    '-7',
    '12',
    'true',
    'false',
    '1700000000123',
    '4001',
    'x',
    '%41',
    null,
    true,
    false,
  ),
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double(),
  fc.constantFrom(0, 1, -1, 2 ** 53, 0xffffffff, 0x100000000, Number.NaN),
)
// Mostly values every field takes, so that many bodies parse and the fast path itself is compared.
const usual = fc.constantFrom('12', '1', 12, 1, ['7'])
const ABSENT = Symbol('absent')
const value = fc.oneof(
  { weight: 200, arbitrary: usual },
  { weight: 2, arbitrary: fc.constant(ABSENT) },
  { weight: 2, arbitrary: scalar },
  { weight: 2, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  { weight: 1, arbitrary: fc.dictionary(fc.string({ maxLength: 3 }), scalar, { maxKeys: 2 }) },
)

function bodies(event: string, keys: string[]): fc.Arbitrary<Record<string, unknown>> {
  const declared = keys.filter((k) => k !== 'event')
  return fc
    .tuple(
      fc.record(Object.fromEntries(declared.map((k) => [k, value]))),
      fc.dictionary(fc.string({ maxLength: 8 }), value, { maxKeys: 3 }),
      fc.oneof({ weight: 9, arbitrary: fc.constant(event) }, { weight: 1, arbitrary: fc.constant('other') }),
      fc.boolean(),
    )
    .map(([fields, extra, name, extraFirst]) => {
      const body: Record<string, unknown> = {}
      // Extra keys before or after the declared ones: zod puts declared keys first either way.
      for (const part of extraFirst ? [extra, fields] : [fields, extra]) {
        for (const [k, v] of Object.entries(part))
          if (v !== ABSENT)
            Object.defineProperty(body, k, { value: v, enumerable: true, writable: true, configurable: true })
      }
      body.event = name
      return body
    })
}

describe('objectReader', () => {
  for (const [event, schema] of Object.entries(CALLBACK_SCHEMAS)) {
    test(`${event}: the same result as zod's safeParse, keys in the same order, on any body`, () => {
      const read = objectReader(schema)
      const outcomes = { parsed: 0, refused: 0 }
      fc.assert(
        fc.property(bodies(event, Object.keys(schema.shape)), (body) => {
          const fast = read(body)
          const slow = schema.safeParse(body)
          expect(fast.success).toBe(slow.success)
          outcomes[fast.success ? 'parsed' : 'refused'] += 1
          if (fast.success && slow.success) {
            expect(fast.data).toStrictEqual(slow.data)
            expect(Object.keys(fast.data)).toEqual(Object.keys(slow.data))
          } else {
            expect(fast.error?.issues).toEqual(slow.error?.issues)
          }
        }),
        { numRuns: 400 },
      )
      // Both paths were exercised: bodies that parse (the reader's own) and bodies zod refuses.
      expect(outcomes.parsed).toBeGreaterThan(80)
      expect(outcomes.refused).toBeGreaterThan(40)
    })
  }

  for (const [event, schema] of Object.entries(CALLBACK_SCHEMAS)) {
    test(`${event}: bodies with the keys of the body before (other values) read as zod reads them`, () => {
      const read = objectReader(schema)
      const pairs = fc.tuple(bodies(event, Object.keys(schema.shape)), fc.array(value, { minLength: 40 }))
      fc.assert(
        fc.property(pairs, ([first, values]) => {
          // The same keys in the same order, the values drawn again (an absent one stays as it was).
          const second = Object.fromEntries(
            Object.entries(first).map(([k, v], i) => [
              k,
              k === 'event' || values[i] === ABSENT ? v : values[i],
            ]),
          )
          for (const body of [first, second]) {
            const fast = read(body)
            const slow = schema.safeParse(body)
            expect(fast.success).toBe(slow.success)
            if (fast.success && slow.success) {
              expect(fast.data).toStrictEqual(slow.data)
              expect(Object.keys(fast.data)).toEqual(Object.keys(slow.data))
            }
          }
        }),
        { numRuns: 300 },
      )
    })
  }

  test('a body with the keys of the body before but another shape (a hidden optional field) reads as zod reads it', () => {
    const schema = z.looseObject({ a: z.string().optional(), b: z.string() })
    const read = objectReader(schema)
    expect(read({ b: 'x' })).toEqual(schema.safeParse({ b: 'x' }))
    // The same enumerable keys, yet `a in body`: zod sets `a` (to undefined), the body before had none.
    const hidden = Object.defineProperty({ b: 'y' }, 'a', { value: undefined, enumerable: false })
    const slow = schema.safeParse(hidden)
    expect(slow.success && Object.keys(slow.data)).toEqual(['a', 'b'])
    const fast = read(hidden)
    expect(fast).toEqual(slow)
    expect(fast.success && Object.keys(fast.data)).toEqual(['a', 'b'])
  })

  test('mostly valid bodies take the fast path and still agree', () => {
    const schema = CALLBACK_SCHEMAS.room_close
    const body = {
      event: 'room_close',
      appid: '4001',
      room_id: 'r',
      room_session_id: 7,
      close_reason: '1',
      extra: [1],
    }
    expect(objectReader(schema)(body)).toEqual(schema.safeParse(body))
    expect(objectReader(schema)(body).success).toBe(true)
  })

  test('only loose objects: a strict or stripping schema is refused', () => {
    expect(() => objectReader(z.object({ a: z.string() }))).toThrow(/loose/)
    expect(() => objectReader(z.strictObject({ a: z.string() }))).toThrow(/loose/)
  })
})
