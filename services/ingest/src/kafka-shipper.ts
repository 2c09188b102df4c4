import type { Clock, Timers } from '@mixguard/time'
import { IngestError, isIngestError } from './errors.ts'
import { type KafkaLink, permanentErrorType } from './kafka-link.ts'
import type { PublisherEvent } from './publisher-events.ts'
import { deadLetterFor, type Rejection } from './set-aside.ts'
import { frameSize, type SpoolRecord } from './spool-format.ts'
import { appendQuarantine } from './spool-quarantine.ts'

/** One record on its way to Kafka. */
export interface Slot {
  /** The record as published (or as found in the spool). */
  original: SpoolRecord
  /** What is sent: the original, or the dead-letter record standing in for it once it was rejected. */
  record: SpoolRecord
  rejection: Rejection | null
  setAside: 'dead-letter' | 'quarantine' | null
  /** Why the dead-letter record was refused too (quarantine only). */
  refusedAgain?: unknown
}

/** A send failed for Kafka's state (down, slow, shutdown) after the first `done` slots went. */
export class Stalled {
  readonly done: number
  readonly error: unknown
  constructor(done: number, error: unknown) {
    this.done = done
    this.error = error
  }

  /** Anything else thrown counts as a stall before the first slot. */
  static of(thrown: unknown): Stalled {
    return thrown instanceof Stalled ? thrown : new Stalled(0, thrown)
  }
}

export interface ShipperOptions {
  link: KafkaLink
  /** The spool's directory: the quarantine file lives beside the spool. */
  spoolDir: string
  clock: Clock
  timers: Timers
  maxBatchBytes: number
  deadLetterTopic: string
  sendTimeoutMs: number
  /** Shutdown: cuts every Kafka call short. */
  signal: AbortSignal
  emit: (event: PublisherEvent) => void
}

export interface Shipper {
  /** Bounds a Kafka call by a timeout, and by shutdown: a drain cut short leaves its records spooled. */
  timed<T>(work: Promise<T>, what: string, ms?: number): Promise<T>
  /** A slot for a record; one that can never fit in a batch is rejected before anything is sent. */
  slotFor(record: SpoolRecord): Slot
  /**
   * Sends `slots` in order. A batch Kafka refuses for its contents (RECORD_REJECTED) is split in
   * halves, sent one after the other, down to the refused record alone: that one is replaced by its
   * dead-letter record, and if Kafka refuses that too, the whole record goes to the quarantine file.
   * Every other record still goes, in its order. Throws Stalled on any other failure.
   */
  ship(slots: Slot[], what: string): Promise<void>
  /** Reports a slot that was set aside (nothing for one that was not). */
  reportSetAside(slot: Slot, path: 'direct' | 'drain'): void
}

/** Sends slots to Kafka, setting aside what Kafka can never take (see `ship`). */
export function createShipper(options: ShipperOptions): Shipper {
  const { link, spoolDir, clock, timers, maxBatchBytes, deadLetterTopic, sendTimeoutMs, signal, emit } =
    options

  const timed = <T>(work: Promise<T>, what: string, ms = sendTimeoutMs): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const fail = (error: IngestError): void => {
        timers.clearTimeout(timer)
        signal.removeEventListener('abort', stopped)
        reject(error)
      }
      const stopped = (): void =>
        fail(new IngestError('CLOSED', `${what} was cut short by shutdown`, { retryable: true }))
      const timer = timers.setTimeout(
        () =>
          fail(new IngestError('KAFKA_TIMEOUT', `${what} took longer than ${ms} ms`, { retryable: true })),
        ms,
      )
      if (signal.aborted) stopped()
      else signal.addEventListener('abort', stopped, { once: true })
      work.then(resolve, reject).finally(() => {
        timers.clearTimeout(timer)
        signal.removeEventListener('abort', stopped)
      })
    })

  const rejectSlot = (slot: Slot, rejection: Rejection): void => {
    slot.rejection = rejection
    slot.setAside = 'dead-letter'
    slot.record = deadLetterFor(slot.original, rejection, deadLetterTopic, clock.now())
  }

  const slotFor = (record: SpoolRecord): Slot => {
    const slot: Slot = { original: record, record, rejection: null, setAside: null }
    const bytes = frameSize(record)
    if (bytes > maxBatchBytes) {
      rejectSlot(slot, {
        code: 'too_large',
        detail: `the record takes ${bytes} bytes; a Kafka batch may hold ${maxBatchBytes}`,
        limitBytes: maxBatchBytes,
      })
    }
    return slot
  }

  const ship = async (slots: Slot[], what: string): Promise<void> => {
    try {
      await timed(link.send(slots.map((s) => s.record)), what)
      return
    } catch (error) {
      if (!isIngestError(error, 'RECORD_REJECTED')) throw new Stalled(0, error)
      if (slots.length > 1) {
        const half = Math.ceil(slots.length / 2)
        await ship(slots.slice(0, half), what)
        await ship(slots.slice(half), what).catch((e: unknown) => {
          throw e instanceof Stalled ? new Stalled(half + e.done, e.error) : e
        })
        return
      }
      const slot = slots[0] as Slot
      if (slot.setAside === null) {
        const type = permanentErrorType(error)
        rejectSlot(slot, {
          code: type?.endsWith('TOO_LARGE') ? 'too_large' : 'refused',
          detail: error.message,
        })
        return ship(slots, what)
      }
      try {
        await appendQuarantine(spoolDir, slot.original)
      } catch (failed) {
        throw new Stalled(0, failed)
      }
      slot.setAside = 'quarantine'
      slot.refusedAgain = error
    }
  }

  const reportSetAside = (slot: Slot, path: 'direct' | 'drain'): void => {
    if (slot.setAside === null || slot.rejection === null) return
    emit({
      type: 'set_aside',
      where: slot.setAside,
      path,
      topic: slot.original.topic,
      key: slot.original.key,
      bytes: slot.original.value.length,
      rejection: slot.rejection,
      ...(slot.refusedAgain === undefined ? {} : { error: slot.refusedAgain }),
    })
  }

  return { timed, slotFor, ship, reportSetAside }
}
