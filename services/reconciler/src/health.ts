/** What the process knows about its consumer, for the probes. */
export interface ConsumerHealth {
  /** Joined the group at least once since the last crash. */
  joined: boolean
  /** An assignment's state is still being read back from the changelog. */
  restoring: boolean
  /** The last crash; `restart: false` means kafkajs gave up and will not run the consumer again. */
  crash: { error: unknown; restart: boolean } | null
}

export interface Probe {
  ok: boolean
  reason: string
}

/** /healthz: alive unless the consumer stopped for good (only a restart of the process helps then). */
export function liveness(health: ConsumerHealth): Probe {
  return health.crash !== null && !health.crash.restart
    ? { ok: false, reason: 'the Kafka consumer stopped for good and will not restart' }
    : { ok: true, reason: 'running' }
}

/** /readyz: ready once in the group with every assigned partition's state restored. */
export function readiness(health: ConsumerHealth): Probe {
  if (health.crash !== null)
    return {
      ok: false,
      reason: health.crash.restart
        ? 'the Kafka consumer crashed and is restarting'
        : 'the Kafka consumer stopped for good',
    }
  if (!health.joined) return { ok: false, reason: 'joining the consumer group' }
  if (health.restoring) return { ok: false, reason: 'restoring state from the changelog' }
  return { ok: true, reason: 'in the consumer group' }
}
