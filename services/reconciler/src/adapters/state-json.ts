/**
 * JSON.parse of a changelog record, with one shortcut for the record of a compact state (what
 * encodeApp writes for storedState(), core/stored-state.ts): `{"v":1,"appId":…,"appliedOffset":…,
 * "state":{"v":2,"strings":[…],"data":[…],"json":[…]}}`. Its `data`, an array of numbers, is most of
 * what a restore parses (180,000 numbers in 0.9 MB for a state of 1000 tasks): JSON.parse takes about
 * 6 ms for them, the scan below 2-4 ms, into a Float64Array (which the codec reads as it reads an
 * array). The rest of the record goes to JSON.parse in three slices.
 *
 * The value is the one JSON.parse gives, but `state.data` a Float64Array of the same numbers: a slice
 * that JSON.parse reads whole is the value the whole text has there (a JSON value read from its first
 * byte ends where it ends, whatever follows), and the scan takes only what the JSON grammar allows.
 * Any other text, and anything the shortcut does not expect (spaces, a key out of order, a slice that
 * is not JSON by itself), goes to JSON.parse whole: undefined when it is not JSON.
 */
export function parseStateJson(bytes: Buffer): unknown {
  const compact = bytes.subarray(0, HEAD.length).equals(HEAD) ? compactRecord(bytes) : null
  if (compact !== null) return compact
  try {
    return JSON.parse(text(bytes))
  } catch {
    return undefined
  }
}

const HEAD = Buffer.from('{"v":1,"appId":')
const STATE = Buffer.from(',"state":{"v":2,"strings":[')
const DATA = Buffer.from('],"data":[')
const JSON_KEY = Buffer.from(',"json":')
const END = Buffer.from('}}')

const text = (bytes: Buffer, from = 0, to = bytes.length) => bytes.toString('utf8', from, to)

/** The record read in slices, or null (then JSON.parse reads it whole). */
function compactRecord(bytes: Buffer): Record<string, unknown> | null {
  try {
    return slices(bytes)
  } catch {
    return null
  }
}

function slices(bytes: Buffer): Record<string, unknown> | null {
  const state = bytes.indexOf(STATE, HEAD.length)
  if (state < 0) return null
  const strings = state + STATE.length - 1
  const data = bytes.indexOf(DATA, strings)
  if (data < 0) return null
  const end = bytes.length - END.length
  if (!bytes.subarray(end).equals(END)) return null
  const envelope = JSON.parse(`${text(bytes, 0, state)}}`) as Record<string, unknown>
  const numbers = scanNumbers(bytes, data + DATA.length - 1)
  if (numbers === null) return null
  if (!bytes.subarray(numbers.next, numbers.next + JSON_KEY.length).equals(JSON_KEY)) return null
  envelope.state = {
    v: 2,
    strings: JSON.parse(text(bytes, strings, data + 1)),
    data: numbers.values,
    json: JSON.parse(text(bytes, numbers.next + JSON_KEY.length, end)),
  }
  return envelope
}

const COMMA = 0x2c
const CLOSE = 0x5d
const MINUS = 0x2d
const ZERO = 0x30
const NINE = 0x39
/** JSON's number grammar, for the numbers the quick loop leaves (fractions, exponents, long ones). */
const JSON_NUMBER = /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?$/
/** Digits of an integer whose value the loop's arithmetic gives exactly (below 2^53). */
const EXACT_DIGITS = 15

/**
 * The numbers of a JSON array `[n,n,…]` without spaces that starts at `at`, and the index after its `]`;
 * null for anything else (a value that is not a number included).
 */
function scanNumbers(bytes: Buffer, at: number): { values: Float64Array; next: number } | null {
  // Room for a state's numbers (five bytes each on average, the text after them included), grown
  // should they be shorter; a view of it is returned (it is garbage once decoded).
  let out = new Float64Array(((bytes.length - at) >> 2) + 16)
  let count = 0
  let i = at + 1
  if (bytes[i] === CLOSE) return { values: new Float64Array(0), next: i + 1 }
  for (;;) {
    const start = i
    let c = bytes[i] as number
    const negative = c === MINUS
    if (negative) c = bytes[++i] as number
    let value = c - ZERO
    if (value < 0 || value > 9) return null
    const first = i
    c = bytes[++i] as number
    if (value !== 0)
      while (c >= ZERO && c <= NINE) {
        value = value * 10 + (c - ZERO)
        c = bytes[++i] as number
      }
    if (i - first > EXACT_DIGITS || (c !== COMMA && c !== CLOSE)) {
      // Not a short integer: read as JSON reads it.
      const token = numberToken(bytes, start)
      if (token === null) return null
      value = token.value
      i = token.end
      c = bytes[i] as number
    } else if (negative) value = -value
    if (count === out.length) {
      const larger = new Float64Array(out.length * 2)
      larger.set(out)
      out = larger
    }
    out[count++] = value
    if (c === COMMA) i++
    else if (c === CLOSE) return { values: out.subarray(0, count), next: i + 1 }
    else return null
  }
}

/** The number of the token at `start` (up to the next `,` or `]`) as JSON.parse reads it; null if not JSON's. */
function numberToken(bytes: Buffer, start: number): { value: number; end: number } | null {
  let end = start
  while (end < bytes.length && bytes[end] !== COMMA && bytes[end] !== CLOSE) end++
  const token = bytes.toString('latin1', start, end)
  return JSON_NUMBER.test(token) ? { value: Number(token), end } : null
}
