import { expect, it } from 'vitest'
import { parseTimeArg } from './time-arg.ts'

it('reads durations before now, ISO dates and epoch ms, and nothing else', () => {
  const now = 1_800_000_000_000
  expect(parseTimeArg('24h', now)).toBe(now - 86_400_000)
  expect(parseTimeArg('90s', now)).toBe(now - 90_000)
  expect(parseTimeArg('7d', now)).toBe(now - 7 * 86_400_000)
  expect(parseTimeArg('2026-12-01T10:00:00Z', now)).toBe(Date.parse('2026-12-01T10:00:00Z'))
  expect(parseTimeArg('1700000000123', now)).toBe(1700000000123)
  expect(parseTimeArg('yesterday', now)).toBeNull()
})
