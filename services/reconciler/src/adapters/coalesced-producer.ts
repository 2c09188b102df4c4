import { TOPICS } from '@mixguard/contracts'
import { createIdempotentProducer, type Kafka, type Producer } from '@mixguard/kafka'
import { ProduceCoalescer } from '../produce-coalescer.ts'

/** One record, as a producer's send takes it. */
type Message = Parameters<Producer['send']>[0]['messages'][number]

/**
 * What one merged request may carry: room for Kafka's batch header and per-record overhead below the
 * smallest max.message.bytes of the topics this producer writes (it bounds one partition's batch).
 */
const MAX_REQUEST_BYTES =
  Math.min(
    TOPICS.decisions.maxMessageBytes,
    TOPICS.outcomes.maxMessageBytes,
    TOPICS['dead-letter'].maxMessageBytes,
  ) -
  64 * 1024

/** A record's bytes as the broker counts them, near enough: key, value and headers. */
function sizeOf(message: Message): number {
  let bytes = Buffer.byteLength(message.key ?? '') + Buffer.byteLength(message.value ?? '')
  for (const [name, value] of Object.entries(message.headers ?? {}))
    bytes +=
      Buffer.byteLength(name) +
      (typeof value === 'string' || Buffer.isBuffer(value) ? Buffer.byteLength(value) : 0)
  return bytes
}

export interface CoalescedProducer {
  connect(): Promise<void>
  /** Appends records to a topic; resolves once all in-sync replicas have them (acks = all). */
  send(topic: string, messages: Message[]): Promise<void>
  disconnect(): Promise<void>
}

/**
 * The decisions, outcomes and dead letters of this instance on one idempotent producer, every send
 * made while a request is in flight merged into the next request (produce-coalescer.ts). After a
 * merged request failed the producer is replaced, before anything else is sent on it.
 */
export function createCoalescedProducer(kafka: Kafka): CoalescedProducer {
  let producer: Producer = createIdempotentProducer(kafka)
  let stale = false
  const replace = async () => {
    const fresh = createIdempotentProducer(kafka)
    await fresh.connect()
    const old = producer
    producer = fresh
    stale = false
    void old.disconnect().catch(() => {})
  }
  const coalescer = new ProduceCoalescer<Message>({
    send: async (topicMessages) => {
      if (stale) await replace()
      await producer.sendBatch({ acks: -1, topicMessages })
    },
    reset: async () => {
      stale = true
      await replace()
    },
    maxBytes: MAX_REQUEST_BYTES,
    sizeOf,
  })
  return {
    connect: () => producer.connect(),
    send: (topic, messages) => coalescer.send({ topic, messages }),
    disconnect: () => producer.disconnect(),
  }
}
