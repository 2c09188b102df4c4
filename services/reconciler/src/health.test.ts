import { describe, expect, test } from 'vitest'
import { liveness, readiness } from './health.ts'

const base = { joined: true, restoring: false, crash: null }

describe('probes', () => {
  test('ready in the group with state restored; not ready while joining or restoring', () => {
    expect(readiness(base)).toEqual({ ok: true, reason: 'in the consumer group' })
    expect(readiness({ ...base, joined: false })).toEqual({ ok: false, reason: 'joining the consumer group' })
    expect(readiness({ ...base, restoring: true })).toEqual({
      ok: false,
      reason: 'restoring state from the changelog',
    })
  })

  test('a crash kafkajs restarts from fails readiness only; one it gives up on fails liveness too', () => {
    const restarting = { ...base, crash: { error: new Error('x'), restart: true } }
    expect(readiness(restarting).ok).toBe(false)
    expect(liveness(restarting).ok).toBe(true)
    const dead = { ...base, crash: { error: new Error('x'), restart: false } }
    expect(readiness(dead)).toEqual({ ok: false, reason: 'the Kafka consumer stopped for good' })
    expect(liveness(dead)).toEqual({
      ok: false,
      reason: 'the Kafka consumer stopped for good and will not restart',
    })
    expect(liveness(base).ok).toBe(true)
  })
})
