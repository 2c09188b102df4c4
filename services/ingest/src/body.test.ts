import { describe, expect, test } from 'vitest'
import { checkMediaType, isTooDeepJson, MAX_BODY_DEPTH, parseBody } from './body.ts'

describe('checkMediaType', () => {
  test('JSON and forms, with or without a UTF-8 charset', () => {
    expect(checkMediaType('application/json')).toEqual({ ok: true, encoding: 'json' })
    expect(checkMediaType('Application/JSON; charset=UTF-8')).toEqual({ ok: true, encoding: 'json' })
    expect(checkMediaType('application/x-www-form-urlencoded')).toEqual({ ok: true, encoding: 'form' })
    expect(checkMediaType('application/x-www-form-urlencoded;charset="utf-8"')).toEqual({
      ok: true,
      encoding: 'form',
    })
  })

  test('anything else is refused with a reason', () => {
    for (const type of [
      undefined,
      '',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json; charset=latin1',
    ]) {
      const check = checkMediaType(type)
      expect(check.ok).toBe(false)
    }
  })
})

describe('parseBody', () => {
  test('a form keeps repeated keys as arrays and treats __proto__ as a field', () => {
    const parsed = parseBody(Buffer.from('a=1&rtmp_url=x&rtmp_url=y&__proto__=p&s=%2Fz'), 'form')
    if (!parsed.ok) throw new Error(parsed.detail)
    expect({ ...parsed.body }).toEqual({ a: '1', rtmp_url: ['x', 'y'], ['__proto__']: 'p', s: '/z' })
    expect(Object.getPrototypeOf(parsed.body)).toBe(null)
  })

  test('JSON must be an object', () => {
    expect(parseBody(Buffer.from('{"a":1}'), 'json')).toEqual({ ok: true, body: { a: 1 } })
    expect(parseBody(Buffer.from('"text"'), 'json').ok).toBe(false)
    expect(parseBody(Buffer.from('null'), 'json').ok).toBe(false)
  })
})

describe('nesting depth', () => {
  const nested = (levels: number) => Buffer.from(`{"a":${'['.repeat(levels - 1)}1${']'.repeat(levels - 1)}}`)

  test('a JSON body may nest MAX_BODY_DEPTH levels (itself included), not one more', () => {
    expect(parseBody(nested(MAX_BODY_DEPTH), 'json').ok).toBe(true)
    expect(parseBody(nested(MAX_BODY_DEPTH + 1), 'json')).toMatchObject({
      ok: false,
      reason: 'body_too_deep',
    })
    expect(parseBody(nested(200_000), 'json')).toMatchObject({ ok: false, reason: 'body_too_deep' })
  })

  test('isTooDeepJson: only JSON past the bound; other bytes are not its business', () => {
    expect(isTooDeepJson(nested(MAX_BODY_DEPTH + 1))).toBe(true)
    expect(isTooDeepJson(nested(MAX_BODY_DEPTH))).toBe(false)
    expect(isTooDeepJson(Buffer.from('TaskId=t&x=[[[['))).toBe(false)
  })
})
