import type { Clock } from '@mixguard/time'
import { type Shipper, Stalled } from './kafka-shipper.ts'
import type { PublisherEvent } from './publisher-events.ts'
import type { Spool } from './spool.ts'

export interface SpoolDrainerOptions {
  spool: Spool
  shipper: Shipper
  clock: Clock
  maxBatchRecords: number
  maxBatchBytes: number
  emit: (event: PublisherEvent) => void
}

/**
 * Sends the spool's oldest records (one batch) to Kafka; what went (or was set aside) is committed,
 * even on a stall, and the stall's error is then thrown.
 */
export function createSpoolDrainer(options: SpoolDrainerOptions): () => Promise<void> {
  const { spool, shipper, clock, maxBatchRecords, maxBatchBytes, emit } = options
  return async () => {
    const slots = (await spool.peek(maxBatchRecords, maxBatchBytes)).map(shipper.slotFor)
    const t0 = clock.now()
    let done = slots.length
    let failure: Stalled | null = null
    try {
      await shipper.ship(slots, 'a Kafka send from the spool')
    } catch (stalled) {
      failure = Stalled.of(stalled)
      done = failure.done
    }
    if (done > 0) {
      await spool.commit(done)
      emit({ type: 'drained', records: done, ms: clock.now() - t0 })
      for (const slot of slots.slice(0, done)) shipper.reportSetAside(slot, 'drain')
    }
    if (failure !== null) throw failure.error
  }
}
