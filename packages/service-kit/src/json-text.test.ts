import { describe, expect, it } from 'vitest'
import { parseJsonText } from './json-text.ts'

describe('parseJsonText', () => {
  it('parses JSON', () => {
    expect(parseJsonText('{"a": [1]}')).toEqual({ ok: true, value: { a: [1] } })
  })

  it('names the place of a syntax error and never quotes the text', () => {
    const texts = [
      '{\n  "secret": "hunter2-xyz" }x',
      '{"secret": "hunter2-xyz',
      '{"secret": hunter2-xyz}',
      '',
    ]
    for (const text of texts) {
      const result = parseJsonText(text)
      expect(result.ok).toBe(false)
      if (!result.ok) expect(result.problem).not.toMatch(/hunter2|xyz/)
    }
    expect(parseJsonText('{\n  "secret": "hunter2-xyz" }x')).toEqual({
      ok: false,
      problem: 'a syntax error at line 2, column 28',
    })
  })
})
