import { expect, test } from 'vitest'
import { clusterId } from './cluster-id.ts'

test('a cluster id is 22 URL-safe base64 characters', () => {
  expect(clusterId()).toMatch(/^[A-Za-z0-9_-]{22}$/)
})

test('an id that would start with "-" is drawn again (the storage tool would read it as an option)', () => {
  const draws = [Buffer.from('fb'.repeat(16), 'hex'), Buffer.from('00'.repeat(16), 'hex')]
  expect(Buffer.from('fb'.repeat(16), 'hex').toString('base64url').startsWith('-')).toBe(true)
  expect(clusterId(() => draws.shift() as Buffer)).toBe('AAAAAAAAAAAAAAAAAAAAAA')
})
