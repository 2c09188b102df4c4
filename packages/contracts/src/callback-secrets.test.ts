import { createHash } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { signatureSha256, withoutCallbackSecrets } from './callback-secrets.ts'
import { asForm, callbackEvent, mixStopExample } from './test-fixtures.ts'

describe('withoutCallbackSecrets', () => {
  it('drops signature, nonce and timestamp in either spelling and keeps every other field', () => {
    const body = JSON.parse(
      '{"event":"x","signature[]":"s","nonce":"n","timestamp":1,"__proto__":{"a":1},"Signature":"kept"}',
    ) as Record<string, unknown>
    const copy = withoutCallbackSecrets(body)
    expect(Object.keys(copy)).toEqual(['event', '__proto__', 'Signature'])
    expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
    expect(body).toHaveProperty('nonce', 'n')
  })

  it('copies a usual body (plain spellings only), JSON or a form, in its field order', () => {
    const json = JSON.parse('{"b":"1","signature":"s","a":["x"],"nonce":"n","10":"t","timestamp":"2"}')
    const form = Object.assign(Object.create(null), json) as Record<string, unknown>
    for (const body of [json, form]) {
      const copy = withoutCallbackSecrets(body)
      expect(Object.keys(copy)).toEqual(['10', 'b', 'a'])
      expect(copy.a).toBe(body.a)
      expect(Object.getPrototypeOf(copy)).toBe(Object.prototype)
      expect(Object.keys(body)).toHaveLength(6)
    }
  })
})

describe('signatureSha256', () => {
  it('is the sha256 hex of the lowercase signature, so a re-cased replay hashes the same', () => {
    const sig = 'AB'.repeat(20)
    expect(signatureSha256(sig)).toBe(createHash('sha256').update(sig.toLowerCase()).digest('hex'))
    expect(signatureSha256(sig)).toBe(signatureSha256(sig.toLowerCase()))
  })
})

describe('toEvent keeps no callback credential', () => {
  it.each([
    ['JSON', mixStopExample],
    ['form', asForm(mixStopExample)],
  ])('%s body: raw lacks them, the id and the hash stay', (_, body) => {
    const event = callbackEvent(body, 0)
    const text = JSON.stringify(event)
    expect(text).not.toContain(mixStopExample.signature)
    expect(text).not.toContain(`"${mixStopExample.nonce}"`)
    expect(event.raw).not.toHaveProperty('timestamp')
    expect(event.signatureSha256).toBe(signatureSha256(mixStopExample.signature))
    // The mix callbacks' only time is the send time: it is still the event's occurredAt.
    expect(event.occurredAt).toBe(Number(mixStopExample.timestamp) * 1000)
  })
})
