import { parseBrokerList } from './brokers.ts'
import { dockerUsable, startDockerBroker } from './docker-broker.ts'
import { KafkaSetupError } from './errors.ts'
import { type LocalBrokerOptions, startLocalBroker } from './local-broker.ts'
import { javaMajorVersion } from './runtime.ts'

export type KafkaSource = 'external' | 'docker' | 'jars'

export interface ProvidedKafka {
  readonly source: KafkaSource
  readonly brokers: string[]
  /** Stops what this provider started (nothing, for an external cluster). */
  stop(): Promise<void>
}

/**
 * The one way tests and local runs get a Kafka cluster:
 * - `KAFKA_BROKERS` set → that cluster;
 * - `KAFKA_PROVIDER=docker` (or no Java but a usable Docker) → the official image via testcontainers;
 * - otherwise → a single-node KRaft broker from Apache Kafka's jars on Java 17+;
 * - neither Java nor Docker → one error naming what to install.
 */
export async function provideKafka(
  options: Omit<LocalBrokerOptions, 'env'> & { env: NodeJS.ProcessEnv },
): Promise<ProvidedKafka> {
  const { env } = options
  if (env.KAFKA_BROKERS !== undefined) {
    return { source: 'external', brokers: parseBrokerList(env.KAFKA_BROKERS), stop: async () => {} }
  }
  const asked = env.KAFKA_PROVIDER ?? 'jars'
  if (asked !== 'jars' && asked !== 'docker') {
    throw new KafkaSetupError(
      'KAFKA_BROKERS_INVALID',
      `KAFKA_PROVIDER must be "jars" or "docker", not ${JSON.stringify(asked)}`,
      { retryable: false },
    )
  }
  if (asked === 'docker') {
    if (!(await dockerUsable(env))) {
      throw new KafkaSetupError(
        'KAFKA_NO_RUNTIME',
        'KAFKA_PROVIDER=docker, but no Docker engine answers `docker info`.',
        { retryable: false },
      )
    }
    const broker = await startDockerBroker()
    return { source: 'docker', brokers: broker.brokers, stop: broker.stop }
  }
  const java = await javaMajorVersion(env)
  if ((java === null || java < 17) && (await dockerUsable(env))) {
    const broker = await startDockerBroker()
    return { source: 'docker', brokers: broker.brokers, stop: broker.stop }
  }
  if (java === null) {
    throw new KafkaSetupError(
      'KAFKA_NO_RUNTIME',
      'Kafka needs a runtime and this machine has neither Java nor Docker: install a JDK 17+ and Maven (for the Apache Kafka jars), or Docker, or set KAFKA_BROKERS=host:port to use an existing cluster.',
      { retryable: false },
    )
  }
  const broker = await startLocalBroker(options)
  return { source: 'jars', brokers: broker.brokers, stop: broker.stop }
}
