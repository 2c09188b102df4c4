import { describe, expect, it } from 'vitest'
import { ZegoCode } from './codes.ts'
import { readRequestAuth, verifyRequestAuth } from './request-auth.ts'
import { signQuery } from './sign.ts'

const NOW = 1_615_186_943_000
const SECRET = '9193cc662a4c0ec135ec71fb57194b38'

const check = (query: Record<string, string | undefined>, nowMs = NOW) => {
  const read = readRequestAuth(query)
  return read.ok ? verifyRequestAuth(read.auth, 12345, SECRET, nowMs) : read
}

describe('readRequestAuth and verifyRequestAuth', () => {
  it("accept ZEGO's published test vector, the signature in either case", () => {
    const query = { ...signQuery(12345, SECRET, NOW, '4fd24687296dd9f3') }
    expect(query.Signature).toBe('43e5cfcca828314675f91b001390566a')
    expect(check(query)).toEqual({ ok: true })
    expect(check({ ...query, Signature: query.Signature.toUpperCase() })).toEqual({ ok: true })
  })

  it("refuse with the gateway's code for each missing or malformed parameter, in its order", () => {
    const query = { ...signQuery(12345, SECRET, NOW) }
    const code = (q: Record<string, string | undefined>) => {
      const r = check(q)
      return r.ok ? 0 : r.code
    }
    expect(code({})).toBe(ZegoCode.TimestampEmpty)
    expect(code({ ...query, Timestamp: '1615186943000.5' })).toBe(ZegoCode.TimestampFormat)
    expect(code({ ...query, SignatureNonce: '' })).toBe(ZegoCode.NonceEmpty)
    expect(code({ ...query, Signature: undefined })).toBe(ZegoCode.SignatureEmpty)
    expect(code({ ...query, SignatureVersion: undefined })).toBe(ZegoCode.SignatureVersionEmpty)
    expect(code({ ...query, SignatureVersion: '1.0' })).toBe(ZegoCode.SignatureVersionInvalid)
    expect(code({ ...query, Signature: 'f'.repeat(32) })).toBe(ZegoCode.SignatureInvalid)
    expect(code({ ...query, Signature: 'short' })).toBe(ZegoCode.SignatureInvalid)
  })

  it('allow 10 minutes of skew either way, not more', () => {
    const query = { ...signQuery(12345, SECRET, NOW) }
    expect(check(query, NOW + 600_000)).toEqual({ ok: true })
    expect(check(query, NOW - 600_000)).toEqual({ ok: true })
    expect(check(query, NOW + 601_000)).toMatchObject({ ok: false, code: ZegoCode.SignatureExpired })
    expect(check(query, NOW - 601_000)).toMatchObject({ ok: false, code: ZegoCode.SignatureExpired })
  })
})
