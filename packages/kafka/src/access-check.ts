import type { Kafka } from 'kafkajs'
import { explainKafkaAccess } from './explain.ts'
import type { KafkaSecurity } from './security.ts'

/**
 * Connects once and asks for the cluster's description: proves the address, the certificates and the
 * credentials before a service starts. Credential and certificate failures come back as one
 * `KafkaAccessError` naming the setting to fix; any other failure (an unreachable broker) as it was.
 */
export async function checkKafkaAccess(kafka: Kafka, security: KafkaSecurity): Promise<void> {
  const admin = kafka.admin()
  try {
    await admin.connect()
    await admin.describeCluster()
  } catch (error) {
    throw explainKafkaAccess(error, security) ?? error
  } finally {
    await admin.disconnect().catch(() => {})
  }
}
