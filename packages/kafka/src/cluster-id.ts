import { randomBytes } from 'node:crypto'

/**
 * A Kafka cluster id: 16 random bytes in URL-safe base64 without padding (what `kafka-storage
 * random-uuid` prints). One that starts with '-' would be read as an option by the storage tool's
 * argument parser, so those are drawn again, as Kafka's own generator does.
 */
export function clusterId(random: (size: number) => Buffer = randomBytes): string {
  for (;;) {
    const id = random(16).toString('base64url')
    if (!id.startsWith('-')) return id
  }
}
