import { describe, expect, test } from 'vitest'
import { parseBrokerList } from './brokers.ts'
import { KafkaSetupError } from './errors.ts'

describe('parseBrokerList', () => {
  test('accepts host:port lists with spaces and IPv6 literals', () => {
    expect(parseBrokerList(' 127.0.0.1:9092, kafka-2.internal:19092 ,[::1]:9093')).toEqual([
      '127.0.0.1:9092',
      'kafka-2.internal:19092',
      '[::1]:9093',
    ])
  })

  test.each([
    ['', 'lists no broker'],
    ['localhost', '"localhost"'],
    ['localhost:0', '"localhost:0"'],
    ['a:9092,b:99999', '"b:99999"'],
    ['http://a:9092', '"http://a:9092"'],
  ])('%j is a readable KAFKA_BROKERS_INVALID error', (value, mention) => {
    const error = (() => {
      try {
        parseBrokerList(value)
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(KafkaSetupError)
    expect((error as KafkaSetupError).code).toBe('KAFKA_BROKERS_INVALID')
    expect((error as KafkaSetupError).message).toContain(mention)
  })
})
