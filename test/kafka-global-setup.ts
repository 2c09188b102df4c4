import { provideKafka } from '@mixguard/kafka/local'
import type { TestProject } from 'vitest/node'

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[]
  }
}

/** One real broker for the whole integration run; every test makes its own topics on it. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const started = Date.now()
  const kafka = await provideKafka({ env: process.env })
  console.warn(`kafka (${kafka.source}) ready on ${kafka.brokers.join(',')} in ${Date.now() - started} ms`)
  project.provide('kafkaBrokers', kafka.brokers)
  return () => kafka.stop()
}
