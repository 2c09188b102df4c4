/**
 * Serialises the work on one partition's apps: a batch of events, a deadline firing and an executor's
 * outcome must never interleave on the same state. A promise chain; errors do not break the chain.
 */
export class PartitionLock {
  #tail: Promise<unknown> = Promise.resolve()

  run<T>(work: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(work)
    this.#tail = result.catch(() => undefined)
    return result
  }
}
