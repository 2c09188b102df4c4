import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort, type LocalBroker, startLocalBroker } from '@mixguard/kafka/local'
import { waitFor } from '../test/wait-for.ts'
import { eventIdOf, eventIdOnTopic, paced } from './callbacks.ts'
import { type Drill, within } from './drill.ts'
import { orderInversions } from './order-inversions.ts'
import { rows } from './report.ts'
import { startStack } from './stack.ts'

/**
 * Drill 1: the broker is down for a while (SIGTERM, then started again on its data and ports) while
 * ZEGO sends signed callbacks at a steady rate. Every callback ingest acknowledged must be on the
 * events topic afterwards, and in order: a callback acknowledged before another was sent comes first.
 */
export const brokerOutage: Drill = {
  name: 'broker-outage',
  async run(ctx) {
    const size = ctx.short
      ? { perSecond: 100, beforeSec: 3, downSec: 10, afterSec: 3 }
      : { perSecond: 500, beforeSec: 5, downSec: 60, afterSec: 5 }
    const r = rows('1 broker down')
    const dataDir = await mkdtemp(join(tmpdir(), 'mixguard-drill-kafka-'))
    const ports = { port: await freePort(), controllerPort: await freePort() }
    const start = () => startLocalBroker({ env: ctx.env, dataDir, ...ports })
    let broker: LocalBroker | undefined = await start().catch(async (error: unknown) => {
      await rm(dataDir, { recursive: true, force: true })
      throw error
    })
    const stack = await startStack({
      label: 'outage',
      brokers: broker.brokers,
      book: ctx.book,
      logDir: ctx.logDir,
      ingestEnv: { KAFKA_SEND_TIMEOUT_MS: '1000' },
    }).catch(async (error: unknown) => {
      await broker?.stop()
      await rm(dataDir, { recursive: true, force: true })
      throw error
    })
    let sampling = true
    try {
      const { sim, app } = stack
      let spoolPeak = 0
      const sampler = (async () => {
        while (sampling) {
          spoolPeak = Math.max(spoolPeak, await stack.metric('mixguard_ingest_spool_records').catch(() => 0))
          await new Promise((resolve) => setTimeout(resolve, 200))
        }
      })()

      let loadOver = false
      const load = paced(
        size.perSecond,
        size.beforeSec + size.downSec + size.afterSec + 120,
        (n) =>
          sim.actions.publish({
            appId: app.appId,
            roomId: `room-${n % 100}`,
            streamId: `s-${n}`,
            userId: `u-${n}`,
          }),
        () => loadOver,
      )
      await new Promise((resolve) => setTimeout(resolve, size.beforeSec * 1000))
      ctx.progress(`broker-outage: stopping the broker for ${size.downSec} s`)
      const downAt = Date.now()
      await broker.stop()
      broker = undefined
      await new Promise((resolve) =>
        setTimeout(resolve, Math.max(0, downAt + size.downSec * 1000 - Date.now())),
      )
      broker = await start()
      const upAt = Date.now()
      ctx.progress(`broker-outage: broker back after ${Math.round((upAt - downAt) / 1000)} s`)
      await new Promise((resolve) => setTimeout(resolve, size.afterSec * 1000))
      loadOver = true
      const sent = await load
      // ZEGO's retries of callbacks answered 5xx end within ~62 s.
      await within(sim.callbacks.idle(), 90_000, undefined)
      await waitFor(
        'the spool to drain',
        async () => (await stack.metric('mixguard_ingest_spool_records').catch(() => 1)) === 0,
        { timeoutMs: 120_000, intervalMs: 100 },
      )
      const drainedAt = Date.now()
      sampling = false
      await sampler

      const deliveries = sim.callbacks.deliveries({ appId: app.appId })
      const acked = deliveries.filter((d) => d.status === 'delivered')
      const ids = new Map(acked.map((d) => [d, eventIdOf(d.payload)]))
      const events = await stack.collect('events')
      const position = new Map<string, number>()
      const wanted = new Set(ids.values())
      let scanned = 0
      let found = 0
      await events
        .until(
          'every acknowledged callback',
          (records) => {
            // Incremental: this runs on every record that arrives.
            for (; scanned < records.length; scanned++) {
              const id = eventIdOnTopic((records[scanned] as { value: Buffer }).value)
              if (id === undefined || position.has(id)) continue
              position.set(id, scanned)
              if (wanted.has(id)) found += 1
            }
            return found === wanted.size
          },
          120_000,
        )
        .catch(() => undefined)
      const lost = [...wanted].filter((id) => !position.has(id)).length

      r.note('callbacks sent', sent)
      r.note('broker down (s, until it answered again)', Math.round((upAt - downAt) / 100) / 10)
      r.note('acknowledged', acked.length)
      r.note('records read back from the topic', scanned)
      r.check('acknowledged callbacks lost', lost, lost === 0)
      r.note('dropped by ZEGO after its retries', deliveries.filter((d) => d.status === 'dropped').length)
      r.note(
        'first attempts answered 5xx',
        deliveries.filter((d) => (d.attempts[0]?.httpStatus ?? 0) >= 500).length,
      )
      r.note('spool peak (records)', spoolPeak)
      r.note('drain time after the broker is back (s)', Math.round((drainedAt - upAt) / 100) / 10)
      const inversions = orderInversions(
        acked.flatMap((d) => {
          const at = position.get(ids.get(d) ?? '')
          const last = d.attempts.at(-1)
          return at === undefined || last === undefined
            ? []
            : [{ sentAt: last.at, ackedAt: last.finishedAt, position: at }]
        }),
      )
      r.check(
        'order inversions (acknowledged before another was sent, yet after it on the topic)',
        inversions,
        inversions === 0,
      )
      r.yes('ingest still running', stack.ingest.child.exitCode === null)
      return r.list
    } finally {
      sampling = false
      await stack.close()
      await broker?.stop()
      await rm(dataDir, { recursive: true, force: true })
    }
  },
}
