import { randomUUID } from 'node:crypto'
import type { Kafka } from '@mixguard/kafka'

// Free of vitest, so the drills (drills/run.ts, a plain node program) use them too; test/kafka.ts re-exports them.

/** A name no other test uses, so tests never see each other's records. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomUUID().slice(0, 12)}`
}

export interface CollectedRecord {
  key: string | null
  value: Buffer
  partition: number
  offset: string
}

export interface Collector {
  readonly records: CollectedRecord[]
  /** Resolves once `done(records)` holds; fails naming `what` after `timeoutMs`. */
  until(what: string, done: (records: CollectedRecord[]) => boolean, timeoutMs?: number): Promise<void>
  stop(): Promise<void>
}

/** Collects a topic from its start, so tests wait on records arriving instead of sleeping. */
export async function collectTopic(kafka: Kafka, topic: string): Promise<Collector> {
  const records: CollectedRecord[] = []
  const waiters = new Set<() => void>()
  const consumer = kafka.consumer({ groupId: uniqueName(`collect-${topic}`), maxWaitTimeInMs: 100 })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await consumer.run({
    eachMessage: async ({ message, partition }) => {
      records.push({
        key: message.key?.toString('utf8') ?? null,
        value: message.value ?? Buffer.alloc(0),
        partition,
        offset: message.offset,
      })
      for (const wake of [...waiters]) wake()
    },
  })
  return {
    records,
    until(what, done, timeoutMs = 30_000) {
      if (done(records)) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(
            new Error(
              `timed out after ${timeoutMs} ms waiting for ${what} on ${topic} (have ${records.length})`,
            ),
          )
        }, timeoutMs)
        const check = (): void => {
          if (!done(records)) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
    stop: () => consumer.disconnect(),
  }
}
