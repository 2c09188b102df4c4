import { brokerList, presentVariables, topicPrefix } from '@mixguard/service-kit'
import { z } from 'zod'

export interface OpsConfig {
  brokers: string[]
  clientId: string
  topicPrefix: string
}

/** The same Kafka settings the services read, so the tools reach whatever cluster they do. */
const EnvSchema = z.object({
  KAFKA_BROKERS: brokerList,
  KAFKA_CLIENT_ID: z.string().default('mixguard-ops'),
  TOPIC_PREFIX: topicPrefix,
})

export function loadOpsConfig(
  env: Readonly<Record<string, string | undefined>>,
): { ok: true; config: OpsConfig } | { ok: false; message: string } {
  const parsed = EnvSchema.safeParse(presentVariables(env))
  if (!parsed.success)
    return {
      ok: false,
      message: parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('\n'),
    }
  return {
    ok: true,
    config: {
      brokers: parsed.data.KAFKA_BROKERS,
      clientId: parsed.data.KAFKA_CLIENT_ID,
      topicPrefix: parsed.data.TOPIC_PREFIX,
    },
  }
}
