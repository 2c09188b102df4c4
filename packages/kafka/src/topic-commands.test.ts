import { expect, test } from 'vitest'
import { createTopicCommands } from './topic-commands.ts'

test('one kafka-topics.sh command per topic, with partitions, replication and every config entry', () => {
  const commands = createTopicCommands(
    [
      {
        name: 'm.events',
        partitions: 12,
        replicationFactor: 3,
        configEntries: [
          { name: 'cleanup.policy', value: 'delete' },
          { name: 'min.insync.replicas', value: '2' },
        ],
      },
      { name: 'm.state', partitions: 12, replicationFactor: -1 },
    ],
    ['k1:9093', 'k2:9093'],
    true,
  )
  expect(commands).toEqual([
    'kafka-topics.sh --bootstrap-server k1:9093,k2:9093 --command-config admin.properties --create --if-not-exists --topic m.events --partitions 12 --replication-factor 3 --config cleanup.policy=delete --config min.insync.replicas=2',
    'kafka-topics.sh --bootstrap-server k1:9093,k2:9093 --command-config admin.properties --create --if-not-exists --topic m.state --partitions 12',
  ])
})
