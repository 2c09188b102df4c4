// The benches' broker: KAFKA_BROKERS when set, otherwise a local broker stopped at teardown; and the
// frame of a bench run alone (`pnpm bench:<name>`) on it.
import { provideKafka } from '@mixguard/kafka/local'
import { formatTable, type Row } from './row.ts'
import { onTeardown, standalone } from './teardown.ts'

export async function withKafka(): Promise<string[]> {
  const kafka = await provideKafka({ env: process.env })
  onTeardown(() => kafka.stop())
  return kafka.brokers
}

/** Runs one bench alone: a broker, the signal trap and cleanups, its rows printed as the table. */
export async function runAlone(
  bench: (brokers: string[], progress: (message: string) => void) => Promise<Row | Row[]>,
): Promise<void> {
  await standalone(async () => {
    const brokers = await withKafka()
    console.log(formatTable([await bench(brokers, (m) => console.error(m))].flat()))
  })
}
