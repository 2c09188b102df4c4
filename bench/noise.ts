// Background traffic for the pipeline benches: streams published and closed (stream_create and
// stream_close callbacks, through ingest → Kafka → reconciler) in rooms without a mix task, at a
// steady `perSecond` events. Each noise stream lives for about a second.
import type { Simulator } from '@mixguard/zego-sim'

export interface Noise {
  /** Stops it; resolves with the events sent per second, as achieved. */
  stop(): Promise<number>
}

export function startNoise(sim: Simulator, appId: number, perSecond: number): Noise {
  const lifetime = Math.max(1, Math.round(perSecond / 2))
  let sent = 0
  let running = true
  const began = performance.now()
  const loop = (async () => {
    let step = 0
    while (running) {
      // Two events a step: a new stream, and the close of the one started `lifetime` steps ago.
      const due = Math.floor(((performance.now() - began) / 1000) * (perSecond / 2))
      for (; step < due; step++) {
        sim.actions.publish({
          appId,
          roomId: `noise-${step % 100}`,
          streamId: `noise-${step}`,
          userId: `n-${step}`,
        })
        sent += 1
        if (step >= lifetime) {
          sim.actions.unpublish({ appId, streamId: `noise-${step - lifetime}` })
          sent += 1
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 5))
    }
  })()
  return {
    async stop() {
      running = false
      await loop
      return sent / ((performance.now() - began) / 1000)
    },
  }
}
