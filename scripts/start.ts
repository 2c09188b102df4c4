// `pnpm start` (or `./mixguard start`): Mixguard's main job on this machine.
// Uses KAFKA_BROKERS when set; otherwise starts a local broker and stops it on Ctrl-C.
import { provideKafka } from '@mixguard/kafka'

const kafka = await provideKafka({ env: process.env, port: Number(process.env.KAFKA_PORT ?? 0) })
console.log(`kafka (${kafka.source}) listening on ${kafka.brokers.join(',')}`)
console.log('Ctrl-C stops everything')

await new Promise<void>((resolve) => {
  process.once('SIGINT', resolve)
  process.once('SIGTERM', resolve)
})
await kafka.stop()
console.log('stopped')
