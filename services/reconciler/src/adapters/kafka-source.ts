import type { Consumer, Kafka } from '@mixguard/kafka'
import type { Shell } from '../shell.ts'

export interface SourceObserver {
  lag?(partition: number, lag: number): void
  joined?(partitions: number[]): void
  /** `restart: false`: kafkajs gave up on the consumer; it will not run again in this process. */
  crashed?(error: unknown, restart: boolean): void
}

export interface KafkaSource {
  start(): Promise<void>
  /** Leaves the group: what was finished is committed, the rest is handed back to the group. */
  stop(): Promise<void>
  readonly consumer: Consumer
  assigned(): number[]
  /** True while an assignment's state is being restored from the changelog. */
  restoring(): boolean
}

/**
 * The events topic as a consumer group. Assignments come from kafkajs's GROUP_JOIN event; the shell
 * restores the new partitions before any of their batches is applied. A batch's offsets are committed
 * only after the shell has saved the state it produced.
 */
export function createKafkaSource(options: {
  kafka: Kafka
  groupId: string
  topic: string
  shell: Shell
  observer?: SourceObserver
  partitionsConsumedConcurrently?: number
}): KafkaSource {
  const { kafka, topic, shell } = options
  const consumer = kafka.consumer({
    groupId: options.groupId,
    maxWaitTimeInMs: 100,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    rebalanceTimeout: 20_000,
  })
  let assigned: number[] = []
  let assignment = Promise.resolve()
  let pendingAssignments = 0

  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    assigned = [...(payload.memberAssignment[topic] ?? [])].sort((a, b) => a - b)
    const partitions = assigned
    pendingAssignments += 1
    assignment = assignment
      .then(() => shell.assign(partitions))
      .catch((error: unknown) => options.observer?.crashed?.(error, true))
      .finally(() => {
        pendingAssignments -= 1
      })
    options.observer?.joined?.(partitions)
  })
  consumer.on(consumer.events.CRASH, ({ payload }) =>
    options.observer?.crashed?.(payload.error, payload.restart),
  )

  return {
    consumer,
    assigned: () => assigned,
    restoring: () => pendingAssignments > 0,
    async start() {
      await consumer.connect()
      await consumer.subscribe({ topic, fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 4,
        eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
          await assignment
          if (!isRunning() || isStale() || batch.isEmpty()) return
          // A restore that failed (broker trouble) is tried again here; throwing makes kafkajs retry the batch.
          if (!shell.owns(batch.partition) && assigned.includes(batch.partition)) await shell.assign(assigned)
          if (!shell.owns(batch.partition)) return
          await shell.applyBatch(
            batch.partition,
            batch.messages.map((m) => ({ offset: m.offset, value: m.value })),
          )
          const last = batch.lastOffset()
          resolveOffset(last)
          await consumer.commitOffsets([
            { topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
          ])
          options.observer?.lag?.(batch.partition, Number(batch.offsetLag()))
          await heartbeat()
        },
      })
    },
    async stop() {
      await consumer.disconnect()
      shell.revoke(assigned)
      assigned = []
    },
  }
}
