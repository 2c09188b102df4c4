import { describe, expect, it } from 'vitest'
import { newSignatureNonce, requestSignature, signQuery } from './sign.ts'

describe('requestSignature', () => {
  it("matches ZEGO's published test vector", () => {
    expect(requestSignature(12345, '4fd24687296dd9f3', '9193cc662a4c0ec135ec71fb57194b38', 1615186943)).toBe(
      '43e5cfcca828314675f91b001390566a',
    )
  })

  it('gives the same answer for the AppId and timestamp written as strings', () => {
    expect(
      requestSignature('12345', '4fd24687296dd9f3', '9193cc662a4c0ec135ec71fb57194b38', '1615186943'),
    ).toBe('43e5cfcca828314675f91b001390566a')
  })

  it('depends on every input', () => {
    const base = requestSignature(12345, '4fd24687296dd9f3', 'secret', 1615186943)
    expect(requestSignature(12346, '4fd24687296dd9f3', 'secret', 1615186943)).not.toBe(base)
    expect(requestSignature(12345, '4fd24687296dd9f4', 'secret', 1615186943)).not.toBe(base)
    expect(requestSignature(12345, '4fd24687296dd9f3', 'secreT', 1615186943)).not.toBe(base)
    expect(requestSignature(12345, '4fd24687296dd9f3', 'secret', 1615186944)).not.toBe(base)
  })
})

describe('signQuery', () => {
  it('signs with the timestamp in whole seconds and the given nonce', () => {
    const query = signQuery(12345, '9193cc662a4c0ec135ec71fb57194b38', 1615186943_999, '4fd24687296dd9f3')
    expect(query).toEqual({
      AppId: '12345',
      SignatureNonce: '4fd24687296dd9f3',
      Timestamp: '1615186943',
      Signature: '43e5cfcca828314675f91b001390566a',
      SignatureVersion: '2.0',
    })
  })

  it('draws a fresh 16-hex nonce when none is given', () => {
    const a = signQuery(1, 's', 0)
    const b = signQuery(1, 's', 0)
    expect(a.SignatureNonce).toMatch(/^[0-9a-f]{16}$/)
    expect(a.SignatureNonce).not.toBe(b.SignatureNonce)
    expect(a.Signature).toBe(requestSignature(1, a.SignatureNonce, 's', 0))
    expect(newSignatureNonce()).toMatch(/^[0-9a-f]{16}$/)
  })
})
