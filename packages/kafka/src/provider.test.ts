import { expect, test } from 'vitest'
import { provideKafka } from './provider.ts'

// These configurations fail before anything is started, so they need no broker.
test('a malformed KAFKA_BROKERS names the bad entry', async () => {
  await expect(provideKafka({ env: { KAFKA_BROKERS: 'broker-1:9092,broker-2' } })).rejects.toMatchObject({
    code: 'KAFKA_BROKERS_INVALID',
    message: expect.stringContaining('"broker-2"'),
  })
})

test('an unknown KAFKA_PROVIDER says which values are allowed', async () => {
  await expect(provideKafka({ env: { KAFKA_PROVIDER: 'podman' } })).rejects.toMatchObject({
    code: 'KAFKA_BROKERS_INVALID',
    message: expect.stringContaining('"jars" or "docker"'),
  })
})

test('neither Java nor Docker gives one error that names what to install', async () => {
  const nothing = { PATH: '/nonexistent' }
  await expect(provideKafka({ env: nothing })).rejects.toMatchObject({
    code: 'KAFKA_NO_RUNTIME',
    message: expect.stringMatching(/JDK 17\+.*Maven.*Docker.*KAFKA_BROKERS/),
  })
})

test('KAFKA_PROVIDER=docker without a Docker engine says so', async () => {
  await expect(
    provideKafka({ env: { PATH: '/nonexistent', KAFKA_PROVIDER: 'docker' } }),
  ).rejects.toMatchObject({
    code: 'KAFKA_NO_RUNTIME',
    message: expect.stringContaining('docker info'),
  })
})

test('an external cluster is used as given and stopping it does nothing', async () => {
  const kafka = await provideKafka({ env: { KAFKA_BROKERS: 'a:1,b:2' } })
  expect(kafka).toMatchObject({ source: 'external', brokers: ['a:1', 'b:2'] })
  await kafka.stop()
})
