// `./mixguard topics`: the kafka-topics.sh commands that create Mixguard's topics on your cluster,
// from the same settings the services read (KAFKA_BROKERS, TOPIC_PREFIX, KAFKA_SECURITY_PROTOCOL,
// KAFKA_REPLICATION_FACTOR, KAFKA_MIN_INSYNC_REPLICAS). Prints; changes nothing.
import { topicSpecs } from '@mixguard/contracts'
import { createTopicCommands, parseBrokerList } from '@mixguard/kafka'
import { kafkaAccessFromEnv } from '@mixguard/service-kit'

if (process.argv.includes('--help') || process.argv.includes('-h')) {
  console.log(`usage: ./mixguard topics
Prints the kafka-topics.sh commands that create Mixguard's topics, for an operator who creates them
(KAFKA_CREATE_TOPICS=false). Reads KAFKA_BROKERS, TOPIC_PREFIX, KAFKA_SECURITY_PROTOCOL,
KAFKA_REPLICATION_FACTOR and KAFKA_MIN_INSYNC_REPLICAS from the environment.`)
  process.exit(0)
}
try {
  const env = process.env
  const access = kafkaAccessFromEnv(env)
  const brokers = parseBrokerList(env.KAFKA_BROKERS ?? '127.0.0.1:9092')
  const secured = access.security.tls !== null || access.security.sasl !== null
  for (const command of createTopicCommands(
    topicSpecs(env.TOPIC_PREFIX ?? undefined, access.topics),
    brokers,
    secured,
  ))
    console.log(command)
} catch (error) {
  console.error(error instanceof Error ? error.message : error)
  process.exitCode = 2
}
