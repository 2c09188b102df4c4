import type { TopicSpec } from './client.ts'

/** Quotes a shell word only when it needs it. */
function word(value: string): string {
  return /^[A-Za-z0-9._:,=/@+-]+$/.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`
}

/**
 * The exact `kafka-topics.sh` commands that create `topics` as Mixguard expects them. With a secured
 * cluster the operator adds `--command-config` with their admin client's properties.
 */
export function createTopicCommands(
  topics: readonly TopicSpec[],
  bootstrap: readonly string[],
  secured: boolean,
): string[] {
  return topics.map((t) =>
    [
      'kafka-topics.sh',
      '--bootstrap-server',
      word(bootstrap.join(',')),
      ...(secured ? ['--command-config', 'admin.properties'] : []),
      '--create',
      '--if-not-exists',
      '--topic',
      word(t.name),
      '--partitions',
      String(t.partitions),
      ...(t.replicationFactor !== undefined && t.replicationFactor > 0
        ? ['--replication-factor', String(t.replicationFactor)]
        : []),
      ...(t.configEntries ?? []).flatMap((e) => ['--config', word(`${e.name}=${e.value}`)]),
    ].join(' '),
  )
}
