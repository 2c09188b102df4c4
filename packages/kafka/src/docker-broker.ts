import { KafkaSetupError } from './errors.ts'
import { freePort } from './free-port.ts'
import { KAFKA_VERSION } from './jars.ts'
import type { LocalBroker } from './local-broker.ts'
import { run } from './runtime.ts'

/** True when a Docker engine answers (the client alone is not enough). */
export async function dockerUsable(env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    await run('docker', ['info', '--format', '{{.ServerVersion}}'], { env })
    return true
  } catch {
    return false
  }
}

/**
 * A single-node KRaft broker from the official `apache/kafka` image through testcontainers.
 * The host port is chosen first so the broker can advertise it; testcontainers' reaper removes the
 * container if this process dies.
 */
export async function startDockerBroker(image = `apache/kafka:${KAFKA_VERSION}`): Promise<LocalBroker> {
  const hostPort = await freePort()
  try {
    const { GenericContainer, Wait } = await import('testcontainers')
    const container = await new GenericContainer(image)
      .withEnvironment({
        KAFKA_NODE_ID: '1',
        KAFKA_PROCESS_ROLES: 'broker,controller',
        KAFKA_LISTENERS: 'PLAINTEXT://:9092,CONTROLLER://:9093',
        KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${hostPort}`,
        KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
        KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
        KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
        KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
        KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
        KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
        KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
      })
      .withExposedPorts({ container: 9092, host: hostPort })
      .withWaitStrategy(Wait.forLogMessage('Kafka Server started'))
      .start()
    let stopped: Promise<unknown> | undefined
    return {
      brokers: [`127.0.0.1:${hostPort}`],
      secureBrokers: [],
      dataDir: '',
      pid: -1,
      stop: async () => {
        stopped ??= container.stop()
        await stopped
      },
    }
  } catch (error) {
    throw new KafkaSetupError(
      'KAFKA_DOCKER_FAILED',
      `could not start ${image} with testcontainers: ${String(error)}`,
      {
        retryable: false,
        cause: error,
      },
    )
  }
}
