import { type CopyTreeOptions, copyTree } from './copy-tree.ts'

/**
 * ZEGO says callback values "need UrlDecode" without saying which layer is encoded (docs/zego.md
 * §7.1). Bodies reach us already parsed: JSON.parse, or a form parser that has undone the form
 * encoding once. On top of that we decode each string value at most once, by this rule:
 *
 * - only when the value holds at least one `%XX` escape (two hex digits), and
 * - only when `decodeURIComponent` accepts the whole value (every `%` starts a valid escape and the
 *   bytes are valid UTF-8); otherwise the value is kept exactly as it is.
 *
 * So `rtmp%3A%2F%2Fh%2Fs` becomes `rtmp://h/s`, `%252F` becomes `%2F` (never decoded twice), and an
 * already-decoded `50% off` or `100%` is left alone. `+` is never turned into a space: ZEGO ids may
 * contain `+` (StartMix allows it) and may not contain spaces, so reading `+` as a space could only
 * corrupt an id. The one ambiguity left: an id that literally contains `%` followed by two hex digits
 * is decoded; ZEGO documents UrlDecode, so we follow it.
 */
const ESCAPE = /%[0-9a-fA-F]{2}/

export function urlDecodeOnce(value: string): string {
  // Most values hold no '%' at all; indexOf is much cheaper than the regex for them.
  if (value.indexOf('%') === -1 || !ESCAPE.test(value)) return value
  try {
    return decodeURIComponent(value)
  } catch {
    return value
  }
}

const decodeLeaf = (value: unknown): unknown => (typeof value === 'string' ? urlDecodeOnce(value) : value)
const DECODE_TREE: CopyTreeOptions = { isObject: isRecord, keys: Object.keys, leaf: decodeLeaf }

/**
 * Decodes every string in a parsed body (arrays and nested objects too); other values are untouched.
 * Iterative at any depth: a body cannot drive it into a stack overflow.
 */
export function urlDecodeValues(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return decodeLeaf(value)
  return (Array.isArray(value) && decodedStrings(value)) || copyTree(value, DECODE_TREE)
}

/**
 * A list of strings (a callback's play URLs) decoded without copyTree's stacks: the same new array.
 * Null when a member is anything else (or a hole), for copyTree.
 */
function decodedStrings(list: unknown[]): unknown[] | null {
  const out = new Array<unknown>(list.length)
  for (let i = 0; i < list.length; i++) {
    const member = list[i]
    if (typeof member !== 'string') return null
    out[i] = urlDecodeOnce(member)
  }
  return out
}

const isEnumerable = Object.prototype.propertyIsEnumerable

/**
 * `urlDecodeValues(foldArrayKeys(body))` in one pass, without the intermediate copy: what every
 * callback field is read from.
 */
export function decodeBody(body: Record<string, unknown>): Record<string, unknown> {
  // A "__proto__" key makes the folded copy's prototype that value, and then the copy is not a record
  // any more and is left undecoded: the two-step path keeps that exact behaviour for such bodies.
  if (Object.hasOwn(body, '__proto__')) return urlDecodeValues(foldArrayKeys(body)) as Record<string, unknown>
  return foldArrayKeys(body, urlDecodeValues)
}

/**
 * One field as `decodeBody(body)[name]` holds it, without decoding the rest: `name` and `listed`
 * (`name[]`) folded together, in the body's key order. For the few fields read before the full parse
 * (the signature's). `name` must not end in `[]` nor be a member of Object.prototype.
 */
export function decodeField(body: Record<string, unknown>, name: string, listed = `${name}[]`): unknown {
  const plain = isEnumerable.call(body, name)
  const list = isEnumerable.call(body, listed)
  if ((plain && list) || Object.hasOwn(body, '__proto__')) return decodeBody(body)[name]
  if (plain) return urlDecodeValues(body[name])
  if (list) return mergeValues(undefined, urlDecodeValues(body[listed]), true)
  return undefined
}

/**
 * Form parsers spell an array either as a repeated key (`rtmp_url=a&rtmp_url=b`, giving an array) or
 * as `rtmp_url[]=a` (giving a key that ends in `[]`). Fold the second spelling into the first; when both
 * appear, the values are concatenated in key order. `map` is applied to each value on the way.
 */
export function foldArrayKeys(
  body: Record<string, unknown>,
  map: (value: unknown) => unknown = (value) => value,
): Record<string, unknown> {
  const keys = Object.keys(body)
  // Nothing to fold (every usual JSON body and form): a spread copy (V8 clones it as a fast object
  // in one step; member by member, two dozen keys would make a dictionary object, slower for every
  // read of the fields after), then each value that maps to another replaced in place. A key that
  // names a member of Object.prototype ("__proto__", "constructor", …) takes the loop, which merges
  // it with the inherited member as it always has (event ids hash what this returns).
  if (!keys.some(isSpecialKey)) {
    const copy: Record<string, unknown> = { ...body }
    for (const key of keys) {
      const value = copy[key]
      const mapped = map(value)
      if (mapped !== value) copy[key] = mapped
    }
    return copy
  }
  const out: Record<string, unknown> = {}
  for (const key of keys) {
    const value = map(body[key])
    if (!isListedKey(key)) {
      out[key] = mergeValues(out[key], value, false)
      continue
    }
    const name = key.slice(0, -2)
    out[name] = mergeValues(out[name], value, true)
  }
  return out
}

const isListedKey = (key: string): boolean => key.length > 2 && key.endsWith('[]')
const isSpecialKey = (key: string): boolean => isListedKey(key) || key in Object.prototype

function mergeValues(existing: unknown, value: unknown, asArray: boolean): unknown {
  const incoming = asArray && !Array.isArray(value) ? [value] : value
  if (existing === undefined) return incoming
  const left = Array.isArray(existing) ? existing : [existing]
  const right = Array.isArray(incoming) ? incoming : [incoming]
  return [...left, ...right]
}

/** A plain object: what JSON.parse and form parsers produce (form parsers may use a null prototype). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false
  const proto = Object.getPrototypeOf(value)
  return proto === Object.prototype || proto === null
}
