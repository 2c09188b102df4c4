import { randomBytes } from 'node:crypto'
import { describe, expect, test } from 'vitest'
import { compressState, decompressState, frameContentSize, isCompressedState } from './state-compression.ts'

describe('a state compressed by the store', () => {
  // Sizes whose frame header holds the content size in 1, 2 and 4 bytes, and one above zstd's window
  // (its header then has a window descriptor before the size).
  test.each([0, 200, 300, 70_000, 3_000_000])(
    '%i bytes: marked, its size in the header, read back equal',
    async (n) => {
      const json = Buffer.from(
        randomBytes(Math.ceil(n / 2))
          .toString('hex')
          .slice(0, n),
      )
      const stored = await compressState(json)
      expect(isCompressedState(stored)).toBe(true)
      expect(frameContentSize(stored)).toBe(n)
      expect((await decompressState(stored)).equals(json)).toBe(true)
    },
  )

  test('JSON is not taken for a compressed state', () => {
    expect(isCompressedState(Buffer.from('{"v":1}'))).toBe(false)
    expect(isCompressedState(Buffer.from([0x28, 0xb5]))).toBe(false)
  })

  test('a header cut short gives no size', async () => {
    const stored = await compressState(Buffer.from('x'.repeat(70_000)))
    expect(frameContentSize(stored.subarray(0, 6))).toBeUndefined()
    expect(frameContentSize(stored.subarray(0, 4))).toBeUndefined()
  })
})
