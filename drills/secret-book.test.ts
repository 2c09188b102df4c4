import { describe, expect, it } from 'vitest'
import { createSecretBook } from './secret-book.ts'

describe('createSecretBook', () => {
  it('finds a secret, a callback signature and a signed API query in log lines, and names only the source', () => {
    const book = createSecretBook()
    book.secret('s3cr3t-value')
    book.signature('A'.repeat(40))
    book.scan('ingest', [
      '{"msg":"request","path":"/zego/callback"}',
      '{"msg":"oops","secret":"s3cr3t-value"}',
      `{"body":{"signature":"${'a'.repeat(40)}"}}`,
      '{"url":"/?Action=StopMix&Signature=0123456789abcdef0123456789abcdef"}',
    ])
    expect(book.linesScanned).toBe(4)
    expect(book.hits).toEqual([
      { source: 'ingest', kind: 'secret' },
      { source: 'ingest', kind: 'callback signature' },
      { source: 'ingest', kind: 'request signature' },
    ])
  })

  it('finds nothing in clean lines', () => {
    const book = createSecretBook()
    book.secret('s3cr3t-value')
    book.signature('b'.repeat(40))
    book.scan('reconciler', [`{"digest":"${'c'.repeat(64)}","msg":"stored"}`])
    expect(book.hits).toEqual([])
  })
})
