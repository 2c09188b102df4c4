import { readFileSync } from 'node:fs'
import type { KafkaSecurity } from '@mixguard/kafka'
import {
  brokerList,
  kafkaAccessVariables,
  presentVariables,
  readKafkaAccess,
  topicPrefix,
} from '@mixguard/service-kit'
import { z } from 'zod'

export interface OpsConfig {
  brokers: string[]
  clientId: string
  topicPrefix: string
  security: KafkaSecurity
}

/** The same Kafka settings the services read, so the tools reach whatever cluster they do. */
const EnvSchema = z.object({
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().default('mixguard-ops'),
  TOPIC_PREFIX: topicPrefix,
  ...kafkaAccessVariables,
})

export function loadOpsConfig(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): { ok: true; config: OpsConfig } | { ok: false; message: string } {
  const present = presentVariables(env)
  const parsed = EnvSchema.safeParse(present)
  if (!parsed.success)
    return {
      ok: false,
      message: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('\n'),
    }
  const problems: string[] = []
  const access = readKafkaAccess(parsed.data, present, readFile, problems)
  if (problems.length > 0) return { ok: false, message: problems.join('\n') }
  return {
    ok: true,
    config: {
      brokers: parsed.data.KAFKA_BROKERS,
      clientId: parsed.data.KAFKA_CLIENT_ID,
      topicPrefix: parsed.data.TOPIC_PREFIX,
      security: access.security,
    },
  }
}
