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

/** Answers the producer's `n`th request (with an error: refused), then lets the coalescer go on. */
async function answer(producer: ReturnType<typeof fakeProducer>, n: number, error?: Error) {
  producer.requests[n]?.answer(error)
  await settled()
}

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
  await answer(producer, 0)
  expect(first.value).toBe('durable')
  // Not acknowledged until their own request is.
  expect(waiting.map((w) => w.value)).toEqual(['pending', 'pending', 'pending'])
  expect(producer.requests[1]?.sent).toEqual([
    { topic: 'outcomes', messages: ['o2', 'o3'] },
    { topic: 'decisions', messages: ['d1', 'd2'] },
  ])
  await answer(producer, 1)
  expect(waiting.map((w) => w.value)).toEqual(['durable', 'durable', 'durable'])
  expect(producer.requests).toHaveLength(2)
})

test('a lone send the broker refuses is refused to its caller, as without the coalescer', async () => {
  const producer = fakeProducer()
  const coalescer = new ProduceCoalescer(producer)
  const refused = outcome(coalescer.send({ topic: 'decisions', messages: ['d1'] }))
  await settled()
  await answer(producer, 0, new Error('MESSAGE_TOO_LARGE'))
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
  await answer(producer, 0)
  expect(first.value).toBe('durable')
  await answer(producer, 1, new Error('MESSAGE_TOO_LARGE'))
  // The refused request may have written some partitions and rolled their sequence numbers back: a
  // later record could be taken for a duplicate and dropped. A fresh producer id rules that out.
  expect(producer.resets()).toBe(1)
  expect(producer.requests[2]?.sent).toEqual([{ topic: 'outcomes', messages: ['o2'] }])
  await answer(producer, 2)
  expect(producer.requests[3]?.sent).toEqual([{ topic: 'decisions', messages: ['too large'] }])
  await answer(producer, 3, new Error('MESSAGE_TOO_LARGE'))
  expect(producer.requests[4]?.sent).toEqual([{ topic: 'outcomes', messages: ['o3'] }])
  await answer(producer, 4)
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
  await answer(producer, 0)
  await answer(producer, 1, new Error('NOT_LEADER'))
  const later = outcome(coalescer.send({ topic: 'outcomes', messages: ['o4'] }))
  await answer(producer, 2, new Error('NOT_LEADER'))
  await answer(producer, 3, new Error('NOT_LEADER'))
  // Order kept: o4 never overtakes o2 and o3.
  expect(producer.requests[4]?.sent).toEqual([{ topic: 'outcomes', messages: ['o4'] }])
  await answer(producer, 4)
  expect(later.value).toBe('durable')
})

test('a merged request stays within the byte budget: the sends beyond it wait for the next request', async () => {
  const producer = fakeProducer()
  // A topic's max.message.bytes bounds one partition's batch: merged, sends that fit alone could not.
  const coalescer = new ProduceCoalescer({ ...producer, maxBytes: 10, sizeOf: (m: string) => m.length })
  void coalescer.send({ topic: 'decisions', messages: ['first'] })
  await settled()
  const sends = ['aaaa', 'bbbb', 'cccc', 'dddddddddddd'].map((m) =>
    outcome(coalescer.send({ topic: 'decisions', messages: [m] })),
  )
  await answer(producer, 0)
  expect(producer.requests[1]?.sent).toEqual([{ topic: 'decisions', messages: ['aaaa', 'bbbb'] }])
  await answer(producer, 1)
  expect(producer.requests[2]?.sent).toEqual([{ topic: 'decisions', messages: ['cccc'] }])
  await answer(producer, 2)
  // One send larger than the budget still goes, alone.
  expect(producer.requests[3]?.sent).toEqual([{ topic: 'decisions', messages: ['dddddddddddd'] }])
  await answer(producer, 3)
  expect(sends.map((s) => s.value)).toEqual(['durable', 'durable', 'durable', 'durable'])
  expect(producer.resets()).toBe(0)
})
