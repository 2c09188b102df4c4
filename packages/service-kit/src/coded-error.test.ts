import { describe, expect, it } from 'vitest'
import { CodedError, codedErrorGuard } from './coded-error.ts'

class ExampleError extends CodedError<'EXAMPLE_DOWN' | 'EXAMPLE_FULL'> {
  override readonly name = 'ExampleError'
}

describe('CodedError', () => {
  it('carries its code, retryability and wait as data, and chains the cause', () => {
    const cause = new Error('disk full')
    const error = new ExampleError('EXAMPLE_FULL', 'no room', { retryable: true, retryAfterMs: 250, cause })
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(CodedError)
    expect(error.name).toBe('ExampleError')
    expect(error.message).toBe('no room')
    expect(error.cause).toBe(cause)
    expect(error).toMatchObject({ code: 'EXAMPLE_FULL', retryable: true, retryAfterMs: 250 })
  })

  it('has no cause property and no wait when none was given', () => {
    const error = new ExampleError('EXAMPLE_DOWN', 'gone', { retryable: false })
    expect('cause' in error).toBe(false)
    expect(error.retryAfterMs).toBeUndefined()
    expect(error.retryable).toBe(false)
  })
})

describe('codedErrorGuard', () => {
  const isExampleError = codedErrorGuard(ExampleError)
  const full = new ExampleError('EXAMPLE_FULL', 'no room', { retryable: true })

  it('passes errors of the class, with any code or the one asked for', () => {
    expect(isExampleError(full)).toBe(true)
    expect(isExampleError(full, 'EXAMPLE_FULL')).toBe(true)
    expect(isExampleError(full, 'EXAMPLE_DOWN')).toBe(false)
  })

  it('refuses other errors, even with the same code and fields', () => {
    const other = new CodedError('EXAMPLE_FULL', 'no room', { retryable: true })
    expect(isExampleError(other, 'EXAMPLE_FULL')).toBe(false)
    expect(isExampleError({ code: 'EXAMPLE_FULL', retryable: true }, 'EXAMPLE_FULL')).toBe(false)
    expect(isExampleError(new Error('EXAMPLE_FULL'))).toBe(false)
    expect(isExampleError(undefined)).toBe(false)
  })
})
