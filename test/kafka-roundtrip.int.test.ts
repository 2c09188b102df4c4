import { createIdempotentProducer, ensureTopics } from '@mixguard/kafka'
import { afterAll, expect, test } from 'vitest'
import { testKafka, uniqueName } from './kafka.ts'

const kafka = testKafka()
const cleanups: Array<() => Promise<void>> = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

test('an idempotent acks=all producer and a consumer group agree on every value', async () => {
  const topic = uniqueName('roundtrip')
  await ensureTopics(kafka, [{ name: topic, partitions: 3 }])

  const producer = createIdempotentProducer(kafka)
  await producer.connect()
  cleanups.push(() => producer.disconnect())
  const sent = Array.from({ length: 500 }, (_, i) => ({ key: `app-${i % 7}`, value: `value-${i}` }))
  // Ten batches: kafkajs has no linger, so the caller batches.
  for (let i = 0; i < sent.length; i += 50) {
    const results = await producer.send({ topic, acks: -1, messages: sent.slice(i, i + 50) })
    expect(results.every((r) => r.errorCode === 0)).toBe(true)
  }

  const consumer = kafka.consumer({ groupId: uniqueName('roundtrip-group'), maxWaitTimeInMs: 100 })
  await consumer.connect()
  cleanups.push(() => consumer.disconnect())
  await consumer.subscribe({ topic, fromBeginning: true })
  const received: Array<{ key: string; value: string; partition: number }> = []
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        eachMessage: async ({ message, partition }) => {
          received.push({ key: String(message.key), value: String(message.value), partition })
          if (received.length === sent.length) resolve()
        },
      })
      .catch(reject)
  })

  expect(received.map((r) => r.value).sort()).toEqual(sent.map((s) => s.value).sort())
  // One key, one partition: per-key order is what Mixguard's per-app ordering rests on.
  const partitionsByKey = new Map<string, Set<number>>()
  for (const r of received)
    partitionsByKey.set(r.key, (partitionsByKey.get(r.key) ?? new Set()).add(r.partition))
  expect([...partitionsByKey.values()].every((p) => p.size === 1)).toBe(true)
  for (const key of partitionsByKey.keys()) {
    const order = received.filter((r) => r.key === key).map((r) => Number(r.value.slice(6)))
    expect(order).toEqual([...order].sort((a, b) => a - b))
  }
})
