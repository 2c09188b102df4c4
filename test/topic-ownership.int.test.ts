import { spawn } from 'node:child_process'
import { topicName, topicSpecs } from '@mixguard/contracts'
import { ensureTopics } from '@mixguard/kafka'
import { expect, test } from 'vitest'
import { testBrokers, testKafka, uniqueName } from './kafka.ts'

/** Runs the reconciler process until it exits; resolves with its exit code and everything on stderr. */
function runReconciler(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=@mixguard/source', 'services/reconciler/src/main.ts'],
    {
      env: { ...process.env, RECONCILER_LOG_LEVEL: 'silent', RECONCILER_PORT: '0', ...env },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8')
  })
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stderr })))
}

test('with topic creation off, an events/reconciler-state partition mismatch stops the reconciler with the reason', async () => {
  const prefix = uniqueName('mismatch')
  const specs = topicSpecs(prefix).map((t) =>
    t.logical === 'events'
      ? { ...t, partitions: 3 }
      : t.logical === 'reconciler-state'
        ? { ...t, partitions: 2 }
        : { ...t, partitions: 3 },
  )
  await ensureTopics(testKafka(), specs)

  const { code, stderr } = await runReconciler({
    KAFKA_BROKERS: testBrokers().join(','),
    TOPIC_PREFIX: prefix,
    KAFKA_CREATE_TOPICS: 'false',
  })

  expect(code).toBe(2)
  expect(stderr).toContain(
    `${topicName('events', prefix)} has 3 partitions but ${topicName('reconciler-state', prefix)} has 2: they must be equal`,
  )
})

test('with topic creation off and no topics, the reconciler creates nothing and prints the commands that would', async () => {
  const prefix = uniqueName('absent')
  const { code, stderr } = await runReconciler({
    KAFKA_BROKERS: testBrokers().join(','),
    TOPIC_PREFIX: prefix,
    KAFKA_CREATE_TOPICS: 'false',
    KAFKA_REPLICATION_FACTOR: '1',
    KAFKA_MIN_INSYNC_REPLICAS: '1',
  })

  expect(code).toBe(2)
  expect(stderr).toContain(`topic ${topicName('events', prefix)} does not exist`)
  expect(stderr).toContain(
    `kafka-topics.sh --bootstrap-server ${testBrokers().join(',')} --create --if-not-exists --topic ${topicName('reconciler-state', prefix)} --partitions 12 --replication-factor 1 --config cleanup.policy=compact`,
  )
  expect(stderr).toContain('--config min.insync.replicas=1')
  const admin = testKafka().admin()
  await admin.connect()
  const existing = await admin.listTopics()
  await admin.disconnect()
  expect(existing.filter((t) => t.startsWith(`${prefix}.`))).toEqual([])
})

test('a smaller max.message.bytes stops the reconciler only for the changelog; append-only topics get a warning', async () => {
  const prefix = uniqueName('small-records')
  const smaller = (t: ReturnType<typeof topicSpecs>[number]) => ({
    ...t,
    configEntries: t.configEntries.map((e) =>
      e.name === 'max.message.bytes' ? { ...e, value: String(512 * 1024) } : e,
    ),
  })
  await ensureTopics(testKafka(), topicSpecs(prefix).map(smaller))

  const { code, stderr } = await runReconciler({
    KAFKA_BROKERS: testBrokers().join(','),
    TOPIC_PREFIX: prefix,
    KAFKA_CREATE_TOPICS: 'false',
  })

  expect(code).toBe(2)
  expect(stderr).toContain(
    `${topicName('reconciler-state', prefix)} has max.message.bytes=524288, needs at least`,
  )
  expect(stderr).not.toContain(`${topicName('events', prefix)} has max.message.bytes`)
})
