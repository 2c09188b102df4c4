import fc from 'fast-check'
import { describe, expect, it } from 'vitest'
import { decide } from '../core/decide.ts'
import { type AppState, type CoreInput, emptyState, parseAppState } from '../core/model.ts'
import { storedState } from '../core/stored-state.ts'
import { policyArb } from '../core/test-checks.ts'
import { APP } from '../core/test-kit.ts'
import { buildWorld, scriptArb } from '../core/test-world.ts'
import { parseStateJson } from './state-json.ts'
import { encodeApp } from './state-records.ts'

/** What JSON.parse gives for the bytes, undefined when they are not JSON. */
function parsed(bytes: Buffer): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'))
  } catch {
    return undefined
  }
}

/** parseStateJson's value with its numbers back in an array, as JSON.parse has them. */
function asJson(value: unknown): unknown {
  const state = (value as { state?: { data?: unknown } } | undefined)?.state
  if (!(state?.data instanceof Float64Array)) return value
  return { ...(value as object), state: { ...state, data: Array.from(state.data) } }
}

/** A compact state's record as the store writes it (uncompressed). */
async function record(state: AppState, appliedOffset: string | null = '41'): Promise<Buffer> {
  const { records } = await encodeApp(
    { appId: state.appId, appliedOffset, state: storedState(state) },
    Number.POSITIVE_INFINITY,
    undefined,
    false,
  )
  return records[0]?.value as Buffer
}

/** The states a random world goes through, each event followed by a tick. */
function statesOf(events: ReturnType<typeof buildWorld>['events'], policy: Parameters<typeof decide>[3]) {
  let state = emptyState(APP)
  const states: AppState[] = []
  for (const event of events) {
    for (const input of [{ kind: 'event', event }, { kind: 'tick' }] as CoreInput[])
      state = decide(state, input, event.receivedAt + 1, policy).state
    states.push(state)
  }
  return states
}

const text = (s: string) => Buffer.from(s)
/** A compact record's text around `data` (any JSON array of numbers or not). */
const around = (data: string) =>
  text(`{"v":1,"appId":7,"appliedOffset":null,"state":{"v":2,"strings":["a"],"data":${data},"json":[]}}`)

describe('a state record read by parseStateJson', () => {
  it('a compact state reads back equal, its numbers in a Float64Array', async () => {
    await fc.assert(
      fc.asyncProperty(scriptArb, policyArb, async (script, policy) => {
        for (const state of statesOf(buildWorld(script).events, policy)) {
          const bytes = await record(state)
          const value = parseStateJson(bytes) as { appId: number; state: { data: unknown } }
          expect(value.state.data).toBeInstanceOf(Float64Array)
          expect(asJson(value)).toEqual(parsed(bytes))
          expect(parseAppState(value.state)).toEqual(state)
        }
      }),
      { numRuns: 60 },
    )
  }, 60_000)

  it('reads every number as JSON.parse does, and takes only what JSON allows', () => {
    const numbers = [
      '[]',
      '[0,-0,7,-7]',
      '[123456789012345,-123456789012345,1234567890123456,12345678901234567890,9007199254740993]',
      '[1.5,-0.25,1e3,1E3,1e+3,1e-3,-1.5e-7,5e-324,1e400,-1e400,0.1,100000000000000000000000]',
      // More numbers than the scan first makes room for (one digit each).
      `[${Array.from({ length: 100_000 }, (_, i) => i % 10).join(',')}]`,
    ]
    for (const data of numbers) {
      const value = parseStateJson(around(data)) as { state: { data: unknown } }
      expect(value.state.data).toBeInstanceOf(Float64Array)
      expect(asJson(value)).toEqual(parsed(around(data)))
    }
    // Not JSON: refused as JSON.parse refuses it.
    for (const data of [
      '[01]',
      '[-]',
      '[1.]',
      '[.5]',
      '[+1]',
      '[1e]',
      '[0x10]',
      '[1,]',
      '[,1]',
      '[1',
      '[NaN]',
      '[-Infinity]',
    ])
      expect([data, parseStateJson(around(data))]).toEqual([data, undefined])
    // JSON, but not as the shortcut expects it: read whole by JSON.parse.
    for (const data of ['[ 1]', '[1 ,2]', '[1,null]', '[1,"2"]', '{"0":1}', 'null', '[[1]]'])
      expect([data, parseStateJson(around(data))]).toEqual([data, parsed(around(data))])
  })

  it('any text reads as JSON.parse reads it (undefined when it is not JSON), whatever it holds or lacks', () => {
    // Strings that look like the keys the shortcut looks for, escapes, and non-ASCII text.
    const tricky = fc.constantFrom(
      '],"data":[',
      '"],"data":[1,2],"json":[]}}',
      ',"state":{"v":2,"strings":[',
      ',"json":',
      '}}',
      '\\',
      '"',
      'é',
      '😀',
    )
    const number = fc.oneof(
      fc.integer(),
      fc.double(),
      fc.constantFrom(-0, 2 ** 53 + 2, 1e21, 0.1, 1234567890123456),
    )
    const envelope = fc.record({
      appliedOffset: fc.option(fc.oneof(fc.string(), tricky)),
      strings: fc.array(fc.oneof(fc.string(), tricky)),
      data: fc.array(number),
      json: fc.array(fc.jsonValue(), { maxLength: 3 }),
      extra: fc.option(fc.oneof(fc.jsonValue(), tricky)),
    })
    // Damage at a random place: a byte inserted, removed or replaced, or the text cut.
    const damage = fc.option(
      fc.record({
        at: fc.nat(),
        how: fc.constantFrom('insert', 'remove', 'replace', 'cut'),
        byte: fc.constantFrom(
          0x20,
          0x2c,
          0x5d,
          0x5b,
          0x7d,
          0x22,
          0x5c,
          0x2d,
          0x2e,
          0x30,
          0x31,
          0x65,
          0xe2,
          0xff,
        ),
      }),
    )
    fc.assert(
      fc.property(envelope, damage, fc.boolean(), ({ extra, ...e }, harm, stateTwice) => {
        const head = extra === null ? {} : stateTwice ? { state: extra } : { x: extra }
        const { strings, data, json, appliedOffset } = e
        const value = { v: 1, appId: 9, ...head, appliedOffset, state: { v: 2, strings, data, json } }
        let bytes = Buffer.from(JSON.stringify(value))
        if (harm !== null) {
          const at = harm.at % (bytes.length + 1)
          const byte = Buffer.of(harm.byte)
          if (harm.how === 'insert') bytes = Buffer.concat([bytes.subarray(0, at), byte, bytes.subarray(at)])
          else if (harm.how === 'remove')
            bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + 1)])
          else if (harm.how === 'replace')
            bytes = Buffer.concat([bytes.subarray(0, at), byte, bytes.subarray(at + 1)])
          else bytes = bytes.subarray(0, at)
        }
        expect(asJson(parseStateJson(bytes))).toEqual(parsed(bytes))
      }),
      { numRuns: 2_000 },
    )
  })

  it('reads every other record as JSON.parse does: a manifest, a v1 state, not JSON', () => {
    const others = [
      '{"v":2,"appId":7,"version":"ab12cd34","chunks":3,"bytes":3000000}',
      '{"v":1,"appId":7,"appliedOffset":"3","state":{"v":1,"appId":7,"streams":{},"tasks":{},"rooms":{}}}',
      '{"v":1,"appId":7,"appliedOffset":null,"state":{"v":2,"strings":[],"data":[0],"json":[]}} ',
      '{"v":1,"appId":7,',
      '',
    ]
    for (const other of others) expect(parseStateJson(text(other))).toEqual(parsed(text(other)))
  })
})
