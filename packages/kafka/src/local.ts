// A real Kafka on this machine, for tests, benchmarks and `./mixguard start`; never in a service's graph.
export { freePort } from './free-port.ts'
export { ensureKafkaJars, KAFKA_VERSION } from './jars.ts'
export { type LocalBroker, type LocalBrokerOptions, startLocalBroker } from './local-broker.ts'
export { type KafkaSource, type ProvidedKafka, provideKafka } from './provider.ts'
export { WATCHDOG_SCRIPT } from './watchdog.ts'
