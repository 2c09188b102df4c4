import { describe, expect, it } from 'vitest'
import { normalizeTaskId } from './task-id.ts'

describe('normalizeTaskId', () => {
  it('strips the event’s own AppID prefix', () => {
    expect(normalizeTaskId('4001:mix-r7', 4001)).toBe('mix-r7')
    expect(normalizeTaskId('111111:1111', 111111)).toBe('1111')
  })

  it('keeps a TaskId without a prefix', () => {
    expect(normalizeTaskId('mix-r7', 4001)).toBe('mix-r7')
  })

  it('keeps a different numeric prefix', () => {
    expect(normalizeTaskId('4002:mix-r7', 4001)).toBe('4002:mix-r7')
    expect(normalizeTaskId('40011:mix-r7', 4001)).toBe('40011:mix-r7')
    expect(normalizeTaskId('400:mix-r7', 4001)).toBe('400:mix-r7')
  })

  it('strips only the first prefix of a TaskId that itself contains ":"', () => {
    expect(normalizeTaskId('4001:room:7:main', 4001)).toBe('room:7:main')
    expect(normalizeTaskId('4001:4001:x', 4001)).toBe('4001:x')
    expect(normalizeTaskId('room:7', 4001)).toBe('room:7')
  })

  it('keeps a bare prefix rather than produce an empty TaskId', () => {
    expect(normalizeTaskId('4001:', 4001)).toBe('4001:')
  })
})
