import { describe, expect, test } from 'vitest'
import { kafkaAccessFromEnv } from './kafka-env.ts'

const files: Record<string, string> = {
  '/run/ca.pem': 'CA PEM',
  '/run/password': 'file-password\n',
  '/run/cert.pem': 'CERT PEM',
  '/run/key.pem': 'KEY PEM',
}
const readFile = (path: string): string => {
  const text = files[path]
  if (text === undefined) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' })
  return text
}
const problemsOf = (env: Record<string, string>): string => {
  try {
    kafkaAccessFromEnv(env, readFile)
    return ''
  } catch (error) {
    return (error as Error).message
  }
}

describe('Kafka access from the environment', () => {
  test('plaintext and topic creation by default', () => {
    expect(kafkaAccessFromEnv({}, readFile)).toEqual({
      security: { tls: null, sasl: null },
      topics: { create: true, replicationFactor: -1, minInsyncReplicas: null },
    })
  })

  test('SASL_SSL with a CA, a client certificate and a password file', () => {
    const { security, topics } = kafkaAccessFromEnv(
      {
        KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
        KAFKA_SSL_CA_FILE: '/run/ca.pem',
        KAFKA_SSL_CERT_FILE: '/run/cert.pem',
        KAFKA_SSL_KEY_FILE: '/run/key.pem',
        KAFKA_SASL_MECHANISM: 'SCRAM-SHA-512',
        KAFKA_SASL_USERNAME: 'mixguard',
        KAFKA_SASL_PASSWORD_FILE: '/run/password',
        KAFKA_CREATE_TOPICS: 'false',
        KAFKA_REPLICATION_FACTOR: '3',
        KAFKA_MIN_INSYNC_REPLICAS: '2',
      },
      readFile,
    )
    expect(security.tls).toMatchObject({
      ca: 'CA PEM',
      cert: 'CERT PEM',
      serverName: null,
      checkServerName: true,
    })
    expect(security.tls?.key?.reveal()).toBe('KEY PEM')
    expect(security.sasl).toMatchObject({ mechanism: 'scram-sha-512', username: 'mixguard' })
    expect(security.sasl?.password.reveal()).toBe('file-password')
    expect(JSON.stringify(security)).not.toContain('file-password')
    expect(topics).toEqual({ create: false, replicationFactor: 3, minInsyncReplicas: 2 })
  })

  test('every problem names its variable and never a secret', () => {
    const message = problemsOf({
      KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
      KAFKA_SSL_CA_FILE: '/run/missing.pem',
      KAFKA_SASL_PASSWORD: 'hunter2-secret',
      KAFKA_SASL_PASSWORD_FILE: '/run/password',
    })
    expect(message).toContain('KAFKA_SSL_CA_FILE cannot be read (/run/missing.pem): ENOENT')
    expect(message).toContain('KAFKA_SASL_PASSWORD and KAFKA_SASL_PASSWORD_FILE are both set')
    expect(message).toContain('KAFKA_SASL_MECHANISM is required')
    expect(message).toContain('KAFKA_SASL_USERNAME is required')
    expect(message).not.toContain('hunter2-secret')
  })

  test('settings the protocol does not use are refused rather than ignored', () => {
    const message = problemsOf({ KAFKA_SASL_USERNAME: 'u', KAFKA_SSL_CA_FILE: '/run/ca.pem' })
    expect(message).toContain(
      'KAFKA_SASL_USERNAME is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use SASL',
    )
    expect(message).toContain(
      'KAFKA_SSL_CA_FILE is set but KAFKA_SECURITY_PROTOCOL=PLAINTEXT does not use TLS',
    )
  })

  test('bad values read as the variable and what is wrong', () => {
    const message = problemsOf({
      KAFKA_SECURITY_PROTOCOL: 'TLS',
      KAFKA_SASL_MECHANISM: 'GSSAPI',
      KAFKA_CREATE_TOPICS: 'no',
      KAFKA_REPLICATION_FACTOR: '0',
    })
    expect(message).toContain('KAFKA_SECURITY_PROTOCOL must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL')
    expect(message).toContain('KAFKA_SASL_MECHANISM must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512')
    expect(message).toContain('KAFKA_CREATE_TOPICS must be true or false')
    expect(message).toContain('KAFKA_REPLICATION_FACTOR must be -1 or between 1 and 32')
  })
})

describe('invalid Kafka settings', () => {
  test('throw a KafkaSetupError: a stable code, not retryable, every problem in the message, the cause kept', () => {
    const thrown = (env: Record<string, string>): unknown => {
      try {
        kafkaAccessFromEnv(env, readFile)
      } catch (error) {
        return error
      }
      return undefined
    }
    const badValue = thrown({ KAFKA_SECURITY_PROTOCOL: 'TELNET' })
    expect(badValue).toMatchObject({
      name: 'KafkaSetupError',
      code: 'KAFKA_SETTINGS_INVALID',
      retryable: false,
    })
    expect((badValue as Error).message).toContain('KAFKA_SECURITY_PROTOCOL')
    expect((badValue as Error).cause).toBeDefined()
    const unreadable = thrown({ KAFKA_SECURITY_PROTOCOL: 'SSL', KAFKA_SSL_CA_FILE: '/run/missing.pem' })
    expect(unreadable).toMatchObject({
      name: 'KafkaSetupError',
      code: 'KAFKA_SETTINGS_INVALID',
      retryable: false,
    })
    expect((unreadable as Error).message).toContain(
      'KAFKA_SSL_CA_FILE cannot be read (/run/missing.pem): ENOENT',
    )
  })
})
