/** Records for one topic, as a producer's send takes them. */
export interface ProduceRequest<M> {
  topic: string
  messages: M[]
}

export interface ProduceCoalescerOptions<M> {
  /** One produce request carrying every topic's records (acks = all); resolves once all are acknowledged. */
  send: (requests: ProduceRequest<M>[]) => Promise<void>
  /** Replaces the producer by a fresh one (a new producer id), after a merged request failed. */
  reset: () => Promise<void>
  /**
   * The most bytes (by `sizeOf`) one merged request may carry, below the topics' max.message.bytes
   * (it bounds one partition's batch): the sends beyond it wait for the next request. A single send
   * larger than this still goes, alone. Default: no bound.
   */
  maxBytes?: number
  sizeOf?: (message: M) => number
}

interface Part<M> {
  request: ProduceRequest<M>
  resolve: () => void
  reject: (error: unknown) => void
}

/**
 * One produce request in flight at a time, and every send made meanwhile in the next one. An
 * idempotent producer sends one request at a time: without this, each decisions publish and each
 * outcome record waits for a round trip of its own behind all those queued before it (under load,
 * dozens), and the stops wait with them. No send waits for a timer: one made while nothing is in
 * flight goes out at once. Records keep their order per topic; a send resolves only once the request
 * carrying it is acknowledged.
 *
 * A merged request that fails is sent again part by part, on a fresh producer, so a record the broker
 * refuses fails only its own caller: the refused request may have written some partitions and rolled
 * their sequence numbers back, and a later record could then be taken for a duplicate and dropped.
 */
export class ProduceCoalescer<M> {
  readonly #o: ProduceCoalescerOptions<M>
  #queued: Part<M>[] = []
  #flying = false

  constructor(options: ProduceCoalescerOptions<M>) {
    this.#o = options
  }

  send(request: ProduceRequest<M>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queued.push({ request, resolve, reject })
      if (!this.#flying) void this.#pump()
    })
  }

  async #pump(): Promise<void> {
    this.#flying = true
    try {
      while (this.#queued.length > 0) {
        const parts = this.#take()
        try {
          await this.#o.send(merged(parts))
          for (const part of parts) part.resolve()
        } catch (error) {
          if (parts.length === 1) {
            parts[0]?.reject(error)
            continue
          }
          await this.#alone(parts)
        }
      }
    } finally {
      this.#flying = false
    }
  }

  /** The queued sends, oldest first, that the next request carries: at least one, within maxBytes. */
  #take(): Part<M>[] {
    const { maxBytes = Number.POSITIVE_INFINITY, sizeOf } = this.#o
    let bytes = 0
    let n = 0
    for (const part of this.#queued) {
      bytes += sizeOf ? part.request.messages.reduce((sum, m) => sum + sizeOf(m), 0) : 0
      if (n > 0 && bytes > maxBytes) break
      n++
    }
    return this.#queued.splice(0, n)
  }

  async #alone(parts: Part<M>[]): Promise<void> {
    try {
      await this.#o.reset()
    } catch (error) {
      // No producer to send them on: each caller retries as it would after any failed send.
      for (const part of parts) part.reject(error)
      return
    }
    for (const part of parts) {
      try {
        await this.#o.send([part.request])
        part.resolve()
      } catch (error) {
        part.reject(error)
      }
    }
  }
}

/** The parts' records by topic, in the order they were sent. */
function merged<M>(parts: Part<M>[]): ProduceRequest<M>[] {
  const byTopic = new Map<string, M[]>()
  for (const { request } of parts) {
    const messages = byTopic.get(request.topic) ?? []
    messages.push(...request.messages)
    byTopic.set(request.topic, messages)
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }))
}
