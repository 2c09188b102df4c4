import { describe, expect, it } from 'vitest'
import { callbackAuthFields } from './callbacks.ts'
import { decodeBody, decodeField, foldArrayKeys, urlDecodeOnce, urlDecodeValues } from './url-decoding.ts'

describe('urlDecodeOnce', () => {
  const cases: [string, string, string][] = [
    ['a URL with escapes', 'rtmp%3A%2F%2Fh%2Flive%2Fs', 'rtmp://h/live/s'],
    ['lower-case hex', 'a%2fb', 'a/b'],
    ['UTF-8 escapes', '%E4%BD%A0%E5%A5%BD', '你好'],
    ['a double-encoded value, only once', '%252F', '%2F'],
    ['an already-decoded % sign', '50% off', '50% off'],
    ['a trailing %', '100%', '100%'],
    ['a value mixing a valid escape and a stray %', 'a%2Fb 100%', 'a%2Fb 100%'],
    ['bytes that are not UTF-8', 'bad%FF', 'bad%FF'],
    ['+ (never read as a space)', 'a+b', 'a+b'],
    ['an encoded +', 'a%2Bb', 'a+b'],
    ['a value without escapes', 's-1', 's-1'],
    ['an empty value', '', ''],
  ]
  for (const [name, input, expected] of cases) {
    it(name, () => expect(urlDecodeOnce(input)).toBe(expected))
  }

  it('is applied to strings at every depth, leaving other values alone', () => {
    expect(urlDecodeValues({ a: 'x%20y', b: ['%2F', 3], c: { d: '%3A' }, e: null, f: 4 })).toEqual({
      a: 'x y',
      b: ['/', 3],
      c: { d: ':' },
      e: null,
      f: 4,
    })
  })
})

describe('foldArrayKeys', () => {
  it('folds key[] into key', () => {
    expect(foldArrayKeys({ 'rtmp_url[]': ['a', 'b'], x: '1' })).toEqual({ rtmp_url: ['a', 'b'], x: '1' })
  })

  it('makes a single key[] value a list', () => {
    expect(foldArrayKeys({ 'rtmp_url[]': 'a' })).toEqual({ rtmp_url: ['a'] })
  })

  it('concatenates key and key[] when both appear', () => {
    expect(foldArrayKeys({ rtmp_url: 'a', 'rtmp_url[]': ['b'] })).toEqual({ rtmp_url: ['a', 'b'] })
  })

  it('leaves a key that is only [] alone', () => {
    expect(foldArrayKeys({ '[]': 'x' })).toEqual({ '[]': 'x' })
  })
})

describe('decodeBody and decodeField', () => {
  const bodies: [string, Record<string, unknown>][] = [
    ['plain fields', { appid: '4001', nonce: 'n%2F1', rtmp_url: ['a%3Ab'] }],
    ['key[] only', { 'nonce[]': 'n%2F1', 'rtmp_url[]': ['x', 'y%20z'] }],
    ['key then key[]', { nonce: 'a', 'nonce[]': ['b%2F'] }],
    ['key[] then key', { 'nonce[]': ['b%2F'], nonce: 'a' }],
    ['a form record', Object.assign(Object.create(null), { appid: '4001', 'timestamp[]': '17' })],
    ['a "__proto__" key, as JSON.parse makes it', JSON.parse('{"__proto__":{"nonce":"p%2F"},"appid":"1"}')],
  ]
  for (const [name, body] of bodies) {
    it(`decode the body as folding and then decoding does: ${name}`, () => {
      const reference = urlDecodeValues(foldArrayKeys(body)) as Record<string, unknown>
      expect(decodeBody(body)).toEqual(reference)
      for (const field of ['appid', 'timestamp', 'nonce', 'rtmp_url', 'missing']) {
        expect(decodeField(body, field), field).toEqual(reference[field])
      }
    })
  }
})

describe('deep nesting', () => {
  const nested = (depth: number, leaf: unknown): unknown => {
    let value = leaf
    for (let i = 0; i < depth; i += 1) value = i % 2 === 0 ? [value] : { k: value }
    return value
  }
  const innermost = (value: unknown): unknown => {
    let at = value
    while (typeof at === 'object' && at !== null) at = Array.isArray(at) ? at[0] : (at as { k: unknown }).k
    return at
  }

  it('decodes 100,000 levels without recursion, leaf and shape intact', () => {
    const decoded = urlDecodeValues(nested(100_000, 'a%2Fb'))
    expect(innermost(decoded)).toBe('a/b')
  })

  it('a deep appid or signature reads as "not one value", not a stack overflow', () => {
    const body = { appid: nested(100_000, '4001'), signature: nested(100_000, 's') }
    expect(callbackAuthFields(body)).toMatchObject({ appId: null, signature: null })
    expect(decodeField({ 'appid[]': nested(100_000, '1') }, 'appid')).toHaveLength(1)
  })
})
