// `node packages/kafka/src/cli.ts jars`   — fetch the broker's jars into the cache (bootstrap runs it)
// `node packages/kafka/src/cli.ts broker` — run a local broker until Ctrl-C (KAFKA_PORT picks its port)
import { KafkaSetupError } from './errors.ts'
import { ensureKafkaJars } from './jars.ts'
import { provideKafka } from './provider.ts'
import { javaMajorVersion } from './runtime.ts'

async function main(command: string | undefined): Promise<void> {
  const env = process.env
  switch (command) {
    case 'jars': {
      if (env.KAFKA_BROKERS !== undefined || env.KAFKA_PROVIDER === 'docker') return
      if ((await javaMajorVersion(env)) === null) {
        console.warn(
          'kafka: no Java on this machine, so no Kafka jars fetched (tests will need KAFKA_BROKERS or Docker)',
        )
        return
      }
      await ensureKafkaJars(env)
      return
    }
    case 'broker': {
      const port = Number(env.KAFKA_PORT ?? 0)
      const kafka = await provideKafka({ env, port })
      console.log(`kafka (${kafka.source}) listening on ${kafka.brokers.join(',')} — Ctrl-C stops it`)
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve)
        process.once('SIGTERM', resolve)
      })
      await kafka.stop()
      console.log('kafka stopped')
      return
    }
    default:
      console.error('usage: cli.ts jars|broker')
      process.exitCode = 2
  }
}

main(process.argv[2]).catch((error: unknown) => {
  console.error(error instanceof KafkaSetupError ? `kafka: ${error.message}` : error)
  process.exitCode = 1
})
