import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { decodeEvent, parseCallback, toEvent } from '@mixguard/contracts'
import { createKafka } from '@mixguard/kafka'
import { freePort, type LocalBroker, startLocalBroker } from '@mixguard/kafka/local'
import {
  type CallbackPayload,
  createManualClock,
  createSimulator,
  type Delivery,
  type Simulator,
} from '@mixguard/zego-sim'
import { afterEach, expect, test } from 'vitest'
import { collectTopic, testBrokers, uniqueName } from '../../../test/kafka.ts'
import { waitFor } from '../../../test/wait-for.ts'
import { startIngestFixture, topicSize } from './int-support.ts'

const cleanups: Array<() => Promise<unknown>> = []
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c()
})

const APP = { appId: 4001, serverSecret: 'ss-4001', callbackSecret: 'cs-4001' }

function eventId(payload: CallbackPayload): string {
  const parsed = parseCallback(payload)
  if (!parsed.ok) throw new Error(parsed.reason)
  return toEvent(parsed.callback, { receivedAt: 0 }).id
}

function idOf(value: Buffer): string {
  const decoded = decodeEvent(value)
  if (!decoded.ok) throw new Error(decoded.reason)
  return decoded.event.id
}

/**
 * A broker on its own data dir, so it can be stopped and started again with its records. Ports are
 * picked before the JVM binds them; on a shared machine another process may win one, so a failed
 * start is retried on fresh ports (and a freshly formatted dir: the failed one may hold the old ports).
 */
async function brokerWithData(
  dataDir: string,
): Promise<{ broker: LocalBroker; restart(): Promise<LocalBroker> }> {
  for (let attempt = 1; ; attempt += 1) {
    const port = await freePort()
    const controllerPort = await freePort()
    try {
      const broker = await startLocalBroker({ env: process.env, dataDir, port, controllerPort })
      return {
        broker,
        // The same dir and ports: the same cluster, at the address ingest and its clients know.
        restart: () => startLocalBroker({ env: process.env, dataDir, port, controllerPort }),
      }
    } catch (error) {
      await rm(dataDir, { recursive: true, force: true })
      if (attempt === 3) throw error
    }
  }
}

async function simulator(): Promise<Simulator> {
  const sim = await createSimulator({
    clock: createManualClock(),
    apps: [{ ...APP, callbackEncoding: 'json' }],
  })
  cleanups.push(() => sim.close())
  return sim
}

/** Publishes `count` new streams (one stream_create callback each) and waits for every answer. */
async function publish(sim: Simulator, label: string, count: number): Promise<Delivery[]> {
  for (let i = 0; i < count; i += 1) {
    sim.actions.publish({
      appId: APP.appId,
      roomId: `room-${label}`,
      streamId: `${label}-${i}`,
      userId: `u-${i}`,
    })
  }
  await sim.callbacks.idle()
  return sim.callbacks.deliveries().filter((d) => String(d.payload.stream_id).startsWith(`${label}-`))
}

const acknowledged = (ds: Delivery[]) => ds.filter((d) => d.status === 'delivered')

test(
  'the broker stops while callbacks keep arriving and comes back with its data: every acknowledged callback is on Kafka, and only those',
  { timeout: 180_000 },
  async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'ingest-outage-kafka-'))
    // Pushed first, so it runs last: after the broker has stopped.
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }))
    const started = await brokerWithData(dataDir)
    let broker = started.broker
    cleanups.push(() => broker.stop())
    const sim = await simulator()
    const fx = await startIngestFixture({
      brokers: broker.brokers,
      prefix: uniqueName('outage'),
      apps: [{ appId: APP.appId, callbackSecrets: [APP.callbackSecret] }],
      env: { KAFKA_SEND_TIMEOUT_MS: '1000' },
    })
    cleanups.push(() => fx.close())
    sim.world.updateApp(APP.appId, { callbackUrl: `${fx.ingest.url}/zego/callback` })
    const topic = `${fx.prefix}.events`

    const before = await publish(sim, 'before', 10)
    expect(acknowledged(before)).toHaveLength(10)
    // Kafka has every one of these (nothing waits in the spool): they are in its data dir when it stops.
    expect(fx.ingest.status()).toMatchObject({ kafkaUp: true, spool: { records: 0 } })

    await broker.stop()
    const during = await publish(sim, 'during', 20)
    // ZEGO got a 2xx for every one, and each came from the fsynced spool.
    expect(acknowledged(during)).toHaveLength(20)
    expect(fx.ingest.status()).toMatchObject({ kafkaUp: false, spool: { records: 20 } })

    broker = await started.restart()
    await waitFor(
      'the spool to drain',
      () => fx.ingest.status().spool.records === 0 && fx.ingest.status().kafkaUp,
      { timeoutMs: 60_000 },
    )
    const after = await publish(sim, 'after', 5)
    expect(acknowledged(after)).toHaveLength(5)

    const kafka = createKafka({ brokers: broker.brokers, clientId: uniqueName('check') })
    const events = await collectTopic(kafka, topic)
    cleanups.push(() => events.stop())
    const expected = new Set([...before, ...during, ...after].map((d) => eventId(d.payload)))
    expect(expected.size).toBe(35)
    const onKafka = () => new Set(events.records.map((r) => idOf(r.value)))
    await events.until('every acknowledged callback', () => [...expected].every((id) => onKafka().has(id)))
    // The collector has read the whole topic, so the comparison below covers every record on it.
    expect(await topicSize(kafka, topic)).toBe(events.records.length)
    // Nothing acknowledged is missing (the ones from before the outage survived the restart), and
    // nothing is there that ZEGO was not told was stored.
    expect(onKafka()).toEqual(expected)
  },
)

test('a restart with a non-empty spool drains it', { timeout: 60_000 }, async () => {
  const sim = await simulator()
  const prefix = uniqueName('restart')
  const apps = [{ appId: APP.appId, callbackSecrets: [APP.callbackSecret] }]
  // First run: no broker at that address, so everything is acknowledged from the spool.
  const down = await startIngestFixture({
    brokers: [`127.0.0.1:${await freePort()}`],
    prefix,
    apps,
    kafkaStartWaitMs: 0,
  })
  sim.world.updateApp(APP.appId, { callbackUrl: `${down.ingest.url}/zego/callback` })
  const spooled = await publish(sim, 'spooled', 8)
  expect(acknowledged(spooled)).toHaveLength(8)
  expect(await down.close({ keepSpool: true })).toEqual({ spooled: 8 })

  // Second run on the same spool, with Kafka there.
  const up = await startIngestFixture({ brokers: testBrokers(), prefix, apps, spoolDir: down.spoolDir })
  cleanups.push(() => up.close())
  const events = await collectTopic(up.kafka, `${prefix}.events`)
  cleanups.push(() => events.stop())
  await events.until('the spooled callbacks', (r) => r.length >= 8)
  expect(new Set(events.records.map((r) => idOf(r.value)))).toEqual(
    new Set(spooled.map((d) => eventId(d.payload))),
  )
  expect(up.ingest.status().spool.records).toBe(0)
})
