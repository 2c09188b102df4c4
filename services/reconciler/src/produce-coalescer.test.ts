import { expect, test } from 'vitest'
import { ProduceCoalescer, type ProduceRequest } from './produce-coalescer.ts'

/** A producer whose requests are answered by the test, one at a time, as an idempotent producer's are. */
function fakeProducer() {
  const requests: { sent: ProduceRequest<string>[]; answer: (error?: Error) => void }[] = []
  let resets = 0
  return {
    requests,
    resets: () => resets,
    send: (sent: ProduceRequest<string>[]) =>
      new Promise<void>((resolve, reject) => {
        requests.push({ sent, answer: (error) => (error ? reject(error) : resolve()) })
      }),
    reset: async () => {
      resets++
    },
  }
}

/** Lets every pending promise callback run. */
const settled = () => new Promise((resolve) => setImmediate(resolve))

function outcome(promise: Promise<void>): { value: 'pending' | 'durable' | Error } {
  const seen: { value: 'pending' | 'durable' | Error } = { value: 'pending' }
  promise.then(
    () => {
      seen.value = 'durable'
    },
    (error: Error) => {
      seen.value = error
    },
  )
  return seen
}

test('sends made while a request is in flight go out together in the next one, in their order', async () => {
  const producer = fakeProducer()
  const coalescer = new ProduceCoalescer(producer)
  const first = outcome(coalescer.send({ topic: 'outcomes', messages: ['o1'] }))
  await settled()
  // Nothing waits when nothing is in flight: the first send is a request of its own at once.
  expect(producer.requests.map((r) => r.sent)).toEqual([[{ topic: 'outcomes', messages: ['o1'] }]])
  const waiting = [
    outcome(coalescer.send({ topic: 'outcomes', messages: ['o2'] })),
    outcome(coalescer.send({ topic: 'decisions', messages: ['d1', 'd2'] })),
    outcome(coalescer.send({ topic: 'outcomes', messages: ['o3'] })),
  ]
  await settled()
  expect(producer.requests).toHaveLength(1)
  producer.requests[0]?.answer()
  await settled()
  expect(first.value).toBe('durable')
  // Not acknowledged until their own request is.
  expect(waiting.map((w) => w.value)).toEqual(['pending', 'pending', 'pending'])
  expect(producer.requests[1]?.sent).toEqual([
    { topic: 'outcomes', messages: ['o2', 'o3'] },
    { topic: 'decisions', messages: ['d1', 'd2'] },
  ])
  producer.requests[1]?.answer()
  await settled()
  expect(waiting.map((w) => w.value)).toEqual(['durable', 'durable', 'durable'])
  expect(producer.requests).toHaveLength(2)
})

test('a lone send the broker refuses is refused to its caller, as without the coalescer', async () => {
  const producer = fakeProducer()
  const coalescer = new ProduceCoalescer(producer)
  const refused = outcome(coalescer.send({ topic: 'decisions', messages: ['d1'] }))
  await settled()
  producer.requests[0]?.answer(new Error('MESSAGE_TOO_LARGE'))
  await settled()
  expect(refused.value).toBeInstanceOf(Error)
  expect(producer.requests).toHaveLength(1)
  expect(producer.resets()).toBe(0)
})

test('a merged request refused: a fresh producer, then each send alone, so one bad record fails only its own caller', async () => {
  const producer = fakeProducer()
  const coalescer = new ProduceCoalescer(producer)
  const first = outcome(coalescer.send({ topic: 'outcomes', messages: ['o1'] }))
  await settled()
  const good = outcome(coalescer.send({ topic: 'outcomes', messages: ['o2'] }))
  const bad = outcome(coalescer.send({ topic: 'decisions', messages: ['too large'] }))
  const after = outcome(coalescer.send({ topic: 'outcomes', messages: ['o3'] }))
  producer.requests[0]?.answer()
  await settled()
  expect(first.value).toBe('durable')
  producer.requests[1]?.answer(new Error('MESSAGE_TOO_LARGE'))
  await settled()
  // The refused request may have written some partitions and rolled their sequence numbers back: a
  // later record could be taken for a duplicate and dropped. A fresh producer id rules that out.
  expect(producer.resets()).toBe(1)
  expect(producer.requests[2]?.sent).toEqual([{ topic: 'outcomes', messages: ['o2'] }])
  producer.requests[2]?.answer()
  await settled()
  expect(producer.requests[3]?.sent).toEqual([{ topic: 'decisions', messages: ['too large'] }])
  producer.requests[3]?.answer(new Error('MESSAGE_TOO_LARGE'))
  await settled()
  expect(producer.requests[4]?.sent).toEqual([{ topic: 'outcomes', messages: ['o3'] }])
  producer.requests[4]?.answer()
  await settled()
  expect(good.value).toBe('durable')
  expect(bad.value).toBeInstanceOf(Error)
  expect(after.value).toBe('durable')
})

test('sends made while the parts of a refused request are resent wait for the next request', async () => {
  const producer = fakeProducer()
  const coalescer = new ProduceCoalescer(producer)
  void coalescer.send({ topic: 'outcomes', messages: ['o1'] })
  await settled()
  void coalescer.send({ topic: 'outcomes', messages: ['o2'] }).catch(() => {})
  void coalescer.send({ topic: 'outcomes', messages: ['o3'] }).catch(() => {})
  producer.requests[0]?.answer()
  await settled()
  producer.requests[1]?.answer(new Error('NOT_LEADER'))
  await settled()
  const later = outcome(coalescer.send({ topic: 'outcomes', messages: ['o4'] }))
  producer.requests[2]?.answer(new Error('NOT_LEADER'))
  await settled()
  producer.requests[3]?.answer(new Error('NOT_LEADER'))
  await settled()
  // Order kept: o4 never overtakes o2 and o3.
  expect(producer.requests[4]?.sent).toEqual([{ topic: 'outcomes', messages: ['o4'] }])
  producer.requests[4]?.answer()
  await settled()
  expect(later.value).toBe('durable')
})
