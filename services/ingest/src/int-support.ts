import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { type DeadLetter, decodeDeadLetter, decodeEvent, type ZegoEvent } from '@mixguard/contracts'
import { createKafka, type Kafka } from '@mixguard/kafka'
import { pino } from 'pino'
import type { Collector } from '../../../test/kafka.ts'
import { waitFor } from '../../../test/wait-for.ts'
import { loadConfig } from './config.ts'
import { type RunningIngest, startIngest } from './ingest.ts'

/**
 * Test support for the integration tests (not exported): a running ingest on a real broker. Topics
 * are collected with test/kafka.ts's `collectTopic`.
 */

/** The events a collector has read, decoded; a record that does not decode fails the test. */
export const eventsOf = (c: Collector): ZegoEvent[] =>
  c.records.map((r) => {
    const decoded = decodeEvent(r.value)
    if (!decoded.ok) throw new Error(decoded.reason)
    return decoded.event
  })

/** The dead letters a collector has read, decoded. */
export const deadLettersOf = (c: Collector): DeadLetter[] =>
  c.records.map((r) => {
    const decoded = decodeDeadLetter(r.value)
    if (!decoded.ok) throw new Error(decoded.reason)
    return decoded.deadLetter
  })

/** How many records a topic holds in all, from its partitions' high-water marks. */
export async function topicSize(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin()
  await admin.connect()
  let size = 0
  try {
    // A single busy broker sometimes answers "not the leader" for a partition it leads a moment later;
    // there is no event for "leaders settled", so this polls (retriable errors only).
    await waitFor(`offsets of ${topic}`, async () => {
      try {
        const offsets = await admin.fetchTopicOffsets(topic)
        size = offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0)
        return true
      } catch (error) {
        if ((error as { retriable?: boolean }).retriable === true) return false
        throw error
      }
    })
    return size
  } finally {
    await admin.disconnect()
  }
}

export interface IngestFixture {
  ingest: RunningIngest
  spoolDir: string
  prefix: string
  kafka: Kafka
  logs: string[]
  /** Stops ingest (and removes the spool unless `keepSpool`). */
  close(options?: { keepSpool?: boolean }): Promise<{ spooled: number }>
}

export async function startIngestFixture(options: {
  brokers: string[]
  prefix: string
  apps: Array<{ appId: number; callbackSecrets: string[]; serverSecret?: string }>
  env?: Record<string, string>
  spoolDir?: string
  /** How long start-up waits for Kafka (default 30 s); 0 to start spooling at once. */
  kafkaStartWaitMs?: number
}): Promise<IngestFixture> {
  const spoolDir = options.spoolDir ?? (await mkdtemp(join(tmpdir(), 'ingest-int-spool-')))
  const appsDir = await mkdtemp(join(tmpdir(), 'ingest-int-apps-'))
  const appsFile = join(appsDir, 'apps.json')
  await writeFile(appsFile, JSON.stringify({ apps: options.apps }))
  const loaded = loadConfig({
    INGEST_HOST: '127.0.0.1',
    INGEST_PORT: '0',
    KAFKA_BROKERS: options.brokers.join(','),
    TOPIC_PREFIX: options.prefix,
    INGEST_SPOOL_DIR: spoolDir,
    INGEST_SHUTDOWN_TIMEOUT_MS: '5000',
    ZEGO_APPS_FILE: appsFile,
    ...options.env,
  })
  await rm(appsDir, { recursive: true, force: true })
  if (!loaded.ok) throw new Error(loaded.message)
  const logs: string[] = []
  const logger = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) })
  const ingest = await startIngest(loaded.config, {
    logger,
    kafkaStartWaitMs: options.kafkaStartWaitMs ?? 30_000,
  })
  return {
    ingest,
    spoolDir,
    prefix: options.prefix,
    kafka: createKafka({ brokers: options.brokers, clientId: `${options.prefix}-test` }),
    logs,
    async close({ keepSpool = false } = {}) {
      const result = await ingest.close()
      if (!keepSpool) await rm(spoolDir, { recursive: true, force: true })
      return result
    },
  }
}

/**
 * Stands in for ZEGO's API: reads each whole body and answers `answer` (ZEGO's JSON shape, HTTP 200).
 * Returns its base URL and how to close it.
 */
export async function fakeZego(answer: {
  Code: number
  Message: string
  RequestId: string
}): Promise<{ url: string; close: () => Promise<void> }> {
  const server = createServer(async (req, res) => {
    for await (const _ of req) {
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(JSON.stringify(answer))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
