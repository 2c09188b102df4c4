import { randomUUID } from 'node:crypto'
import { rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import {
  checkKafkaAccess,
  createIdempotentProducer,
  createKafka,
  ensureTopics,
  KafkaAccessError,
} from '@mixguard/kafka'
import { type LocalBroker, startLocalBroker } from '@mixguard/kafka/local'
import { kafkaAccessFromEnv } from '@mixguard/service-kit'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { makeTlsFixtures, type TlsFixtures } from './tls-fixtures.ts'

// A broker of its own, configured here: a SASL_SSL listener with a certificate made by openssl and
// SCRAM users written by Kafka's storage tool (`--add-scram`); PLAIN users come from the JAAS line.
const users = {
  'scram-sha-256': { name: 'alice', password: 'alice-secret-256' },
  'scram-sha-512': { name: 'bob', password: 'bob-secret-512' },
  plain: { name: 'carol', password: 'carol-secret-plain' },
} as const

let tls: TlsFixtures
let broker: LocalBroker

beforeAll(async () => {
  tls = await makeTlsFixtures()
  const scram = 'org.apache.kafka.common.security.scram.ScramLoginModule required;'
  broker = await startLocalBroker({
    env: process.env,
    secureListener: {
      protocol: 'SASL_SSL',
      properties: {
        'listener.name.secure.ssl.keystore.type': 'PKCS12',
        'listener.name.secure.ssl.keystore.location': tls.keystoreFile,
        'listener.name.secure.ssl.keystore.password': tls.keystorePassword,
        'listener.name.secure.ssl.key.password': tls.keystorePassword,
        'listener.name.secure.sasl.enabled.mechanisms': 'SCRAM-SHA-256,SCRAM-SHA-512,PLAIN',
        'listener.name.secure.scram-sha-256.sasl.jaas.config': scram,
        'listener.name.secure.scram-sha-512.sasl.jaas.config': scram,
        'listener.name.secure.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${users.plain.name}="${users.plain.password}";`,
      },
    },
    scramCredentials: [
      `SCRAM-SHA-256=[name=${users['scram-sha-256'].name},password=${users['scram-sha-256'].password}]`,
      `SCRAM-SHA-512=[name=${users['scram-sha-512'].name},password=${users['scram-sha-512'].password}]`,
    ],
  })
})

afterAll(async () => {
  await broker?.stop()
  if (tls) await rm(tls.dir, { recursive: true, force: true })
})

function secureEnv(overrides: Record<string, string>): Record<string, string> {
  return {
    KAFKA_SECURITY_PROTOCOL: 'SASL_SSL',
    KAFKA_SSL_CA_FILE: tls.caFile,
    KAFKA_SASL_MECHANISM: 'SCRAM-SHA-256',
    KAFKA_SASL_USERNAME: users['scram-sha-256'].name,
    KAFKA_SASL_PASSWORD: users['scram-sha-256'].password,
    ...overrides,
  }
}

/** `failFast`: one retry, for the cases that must fail (kafkajs retries connection errors 5 times). */
function clientFor(env: Record<string, string>, failFast = false) {
  const { security } = kafkaAccessFromEnv(env)
  const kafka = createKafka({
    brokers: broker.secureBrokers,
    clientId: `secure-${randomUUID().slice(0, 8)}`,
    security,
    ...(failFast ? { retry: { retries: 1, initialRetryTime: 100 } } : {}),
  })
  return { kafka, security }
}

// The first round trip on this fresh broker also waits for its group coordinator (__consumer_offsets).
describe('SASL_SSL with a CA bundle and SCRAM or PLAIN credentials', { timeout: 120_000 }, () => {
  test.each([
    ['SCRAM-SHA-256', 'scram-sha-256'],
    ['SCRAM-SHA-512', 'scram-sha-512'],
    ['PLAIN', 'plain'],
  ] as const)('%s: a record makes the round trip', async (mechanism, key) => {
    // The password from a file, as Kubernetes and Docker secrets hand it over (with a trailing newline).
    const passwordFile = join(tls.dir, `${key}.password`)
    await writeFile(passwordFile, `${users[key].password}\n`)
    const { kafka, security } = clientFor(
      secureEnv({
        KAFKA_SASL_MECHANISM: mechanism,
        KAFKA_SASL_USERNAME: users[key].name,
        KAFKA_SASL_PASSWORD: '',
        KAFKA_SASL_PASSWORD_FILE: passwordFile,
      }),
    )
    await checkKafkaAccess(kafka, security)
    const topic = `secure-${key}-${randomUUID().slice(0, 8)}`
    await ensureTopics(kafka, [{ name: topic, partitions: 1 }])
    const producer = createIdempotentProducer(kafka)
    await producer.connect()
    await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: `hello ${mechanism}` }] })
    await producer.disconnect()

    const consumer = kafka.consumer({ groupId: `g-${topic}`, maxWaitTimeInMs: 100 })
    await consumer.connect()
    await consumer.subscribe({ topic, fromBeginning: true })
    const value = await new Promise<string>((resolve) => {
      void consumer.run({ eachMessage: async ({ message }) => resolve(String(message.value)) })
    })
    await consumer.disconnect()
    expect(value).toBe(`hello ${mechanism}`)
  })

  test('a wrong password is one error naming the password setting, without the password', async () => {
    const wrong = 'not-the-password-1234'
    const { kafka, security } = clientFor(secureEnv({ KAFKA_SASL_PASSWORD: wrong }), true)
    const error = await checkKafkaAccess(kafka, security).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(KafkaAccessError)
    expect(error).toMatchObject({ code: 'KAFKA_AUTH_FAILED', retryable: false })
    const message = (error as Error).message
    expect(message).toContain('KAFKA_SASL_PASSWORD')
    expect(message).toContain('"alice"')
    expect(message).not.toContain(wrong)
  })

  test('a broker certificate from a CA we do not trust is one error naming KAFKA_SSL_CA_FILE', async () => {
    const { kafka, security } = clientFor(secureEnv({ KAFKA_SSL_CA_FILE: tls.otherCaFile }), true)
    const error = await checkKafkaAccess(kafka, security).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toBeInstanceOf(KafkaAccessError)
    expect(error).toMatchObject({ code: 'KAFKA_TLS_UNTRUSTED', retryable: false })
    expect((error as Error).message).toContain('KAFKA_SSL_CA_FILE')
  })

  test('the server-name check is on: a name the certificate does not carry is refused', async () => {
    const { kafka, security } = clientFor(secureEnv({ KAFKA_SSL_SERVER_NAME: 'kafka.example.com' }), true)
    const error = await checkKafkaAccess(kafka, security).then(
      () => null,
      (e: unknown) => e,
    )
    expect(error).toMatchObject({ code: 'KAFKA_TLS_MISMATCH' })
    expect((error as Error).message).toContain('KAFKA_SSL_SERVER_NAME')
  })
})
