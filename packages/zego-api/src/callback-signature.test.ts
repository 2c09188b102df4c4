import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { callbackSignature, verifyCallbackSignature } from './callback-signature.ts'

const expected = '5bd59fd62953a8059fb7eaba95720f66d19e4517'

describe('callbackSignature', () => {
  it("matches ZEGO's documented example", () => {
    expect(callbackSignature('secret', '1470820198', '123412')).toBe(expected)
  })

  it('accepts a numeric timestamp and nonce (room_close sends numbers)', () => {
    expect(callbackSignature('secret', 1470820198, 123412)).toBe(expected)
  })

  it('sorts as strings, not as numbers', () => {
    // As numbers 9 < 10; as strings '10' < '9'. ZEGO sorts strings.
    const bytes = ['10', '9', 'k'].join('')
    expect(callbackSignature('k', 9, 10)).toBe(createHash('sha1').update(bytes).digest('hex'))
  })
})

describe('verifyCallbackSignature', () => {
  it('accepts the right signature, also written in upper case', () => {
    expect(verifyCallbackSignature('secret', '1470820198', '123412', expected)).toBe(true)
    expect(verifyCallbackSignature('secret', 1470820198, '123412', expected.toUpperCase())).toBe(true)
  })

  it('rejects another secret, timestamp or nonce', () => {
    expect(verifyCallbackSignature('secreT', '1470820198', '123412', expected)).toBe(false)
    expect(verifyCallbackSignature('secret', '1470820199', '123412', expected)).toBe(false)
    expect(verifyCallbackSignature('secret', '1470820198', '123413', expected)).toBe(false)
  })

  it('rejects signatures of the wrong length without throwing', () => {
    expect(verifyCallbackSignature('secret', '1470820198', '123412', '')).toBe(false)
    expect(verifyCallbackSignature('secret', '1470820198', '123412', expected.slice(1))).toBe(false)
    expect(verifyCallbackSignature('secret', '1470820198', '123412', `${expected}0`)).toBe(false)
    expect(verifyCallbackSignature('secret', '1470820198', '123412', 'é'.repeat(40))).toBe(false)
  })

  it('rejects a signature that is not a string (untrusted payloads) without throwing', () => {
    const untrusted = JSON.parse('{"signature":["a"]}') as { signature: string }
    expect(verifyCallbackSignature('secret', '1470820198', '123412', untrusted.signature)).toBe(false)
  })
})
