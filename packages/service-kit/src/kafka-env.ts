import { readFileSync } from 'node:fs'
import { type KafkaSecurity, KafkaSetupError, type SaslMechanism } from '@mixguard/kafka'
import { z } from 'zod'
import { presentVariables, wholeNumber } from './env.ts'
import { secretFrom } from './file-secret.ts'
import { Secret } from './secret.ts'

const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false'], { error: 'must be true or false' })
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true')

/**
 * How every Mixguard client reaches a Kafka cluster and treats its topics, one naming scheme for all.
 * Spread into a service's environment schema; `readKafkaAccess` turns the parsed values into settings.
 */
export const kafkaAccessVariables = {
  /** Kafka's own `security.protocol` names. */
  KAFKA_SECURITY_PROTOCOL: z
    .enum(['PLAINTEXT', 'SSL', 'SASL_PLAINTEXT', 'SASL_SSL'], {
      error: 'must be PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL',
    })
    .default('PLAINTEXT'),
  KAFKA_SSL_CA_FILE: z.string().optional(),
  KAFKA_SSL_CERT_FILE: z.string().optional(),
  KAFKA_SSL_KEY_FILE: z.string().optional(),
  KAFKA_SSL_KEY_PASSWORD: z.string().optional(),
  KAFKA_SSL_KEY_PASSWORD_FILE: z.string().optional(),
  KAFKA_SSL_SERVER_NAME: z.string().optional(),
  KAFKA_SSL_CHECK_HOSTNAME: flag(true),
  KAFKA_SASL_MECHANISM: z
    .string()
    .transform((v) => v.toLowerCase())
    .pipe(
      z.enum(['plain', 'scram-sha-256', 'scram-sha-512'], {
        error: 'must be PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512',
      }),
    )
    .optional(),
  KAFKA_SASL_USERNAME: z.string().optional(),
  KAFKA_SASL_PASSWORD: z.string().optional(),
  KAFKA_SASL_PASSWORD_FILE: z.string().optional(),
  /** false: the operator creates topics (the services only check them and print the commands). */
  KAFKA_CREATE_TOPICS: flag(true),
  /** For topics Mixguard creates; -1 takes the cluster's default.replication.factor. */
  KAFKA_REPLICATION_FACTOR: z
    .string()
    .trim()
    .regex(/^(-1|\d+)$/, 'must be -1 (the cluster default) or a whole number')
    .transform(Number)
    .refine((n) => n === -1 || (n >= 1 && n <= 32), 'must be -1 or between 1 and 32')
    .default(-1),
  /** For topics Mixguard creates; unset takes the cluster's default. */
  KAFKA_MIN_INSYNC_REPLICAS: wholeNumber(1, 32).optional(),
}

type Parsed = z.output<z.ZodObject<typeof kafkaAccessVariables>>

export interface KafkaAccess {
  security: KafkaSecurity
  topics: { create: boolean; replicationFactor: number; minInsyncReplicas: number | null }
}

/**
 * Builds the security and topic settings from the parsed variables, reading the files they name.
 * Every problem names its variable; none carries a secret.
 */
export function readKafkaAccess(
  parsed: Parsed,
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
  problems: string[],
): KafkaAccess {
  const protocol = parsed.KAFKA_SECURITY_PROTOCOL
  const tlsOn = protocol === 'SSL' || protocol === 'SASL_SSL'
  const saslOn = protocol === 'SASL_PLAINTEXT' || protocol === 'SASL_SSL'
  const file = (name: 'KAFKA_SSL_CA_FILE' | 'KAFKA_SSL_CERT_FILE' | 'KAFKA_SSL_KEY_FILE'): string | null => {
    const path = parsed[name]
    if (path === undefined) return null
    try {
      return readFile(path)
    } catch (error) {
      problems.push(
        `${name} cannot be read (${path}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      )
      return null
    }
  }

  const tlsVariables = [
    'KAFKA_SSL_CA_FILE',
    'KAFKA_SSL_CERT_FILE',
    'KAFKA_SSL_KEY_FILE',
    'KAFKA_SSL_KEY_PASSWORD',
    'KAFKA_SSL_KEY_PASSWORD_FILE',
    'KAFKA_SSL_SERVER_NAME',
  ] as const
  const saslVariables = [
    'KAFKA_SASL_MECHANISM',
    'KAFKA_SASL_USERNAME',
    'KAFKA_SASL_PASSWORD',
    'KAFKA_SASL_PASSWORD_FILE',
  ] as const
  if (!tlsOn) {
    for (const name of tlsVariables)
      if (parsed[name] !== undefined)
        problems.push(
          `${name} is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use TLS (use SSL or SASL_SSL)`,
        )
  }
  if (!saslOn) {
    for (const name of saslVariables)
      if (parsed[name] !== undefined)
        problems.push(
          `${name} is set but KAFKA_SECURITY_PROTOCOL=${protocol} does not use SASL (use SASL_SSL or SASL_PLAINTEXT)`,
        )
  }

  let tls: KafkaSecurity['tls'] = null
  if (tlsOn) {
    const cert = file('KAFKA_SSL_CERT_FILE')
    const keyText = file('KAFKA_SSL_KEY_FILE')
    if ((parsed.KAFKA_SSL_CERT_FILE === undefined) !== (parsed.KAFKA_SSL_KEY_FILE === undefined))
      problems.push('KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE go together: set both or neither')
    tls = {
      ca: file('KAFKA_SSL_CA_FILE'),
      cert,
      key: keyText === null ? null : new Secret(keyText),
      keyPassphrase: secretFrom(env, 'KAFKA_SSL_KEY_PASSWORD', readFile, problems),
      serverName: parsed.KAFKA_SSL_SERVER_NAME ?? null,
      checkServerName: parsed.KAFKA_SSL_CHECK_HOSTNAME,
    }
  }

  let sasl: KafkaSecurity['sasl'] = null
  if (saslOn) {
    const mechanism: SaslMechanism | undefined = parsed.KAFKA_SASL_MECHANISM
    const username = parsed.KAFKA_SASL_USERNAME
    const password = secretFrom(env, 'KAFKA_SASL_PASSWORD', readFile, problems)
    if (mechanism === undefined)
      problems.push(`KAFKA_SASL_MECHANISM is required with KAFKA_SECURITY_PROTOCOL=${protocol}`)
    if (username === undefined)
      problems.push(`KAFKA_SASL_USERNAME is required with KAFKA_SECURITY_PROTOCOL=${protocol}`)
    if (
      password === null &&
      env.KAFKA_SASL_PASSWORD_FILE === undefined &&
      env.KAFKA_SASL_PASSWORD === undefined
    )
      problems.push(
        `KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE) is required with KAFKA_SECURITY_PROTOCOL=${protocol}`,
      )
    if (mechanism !== undefined && username !== undefined && password !== null)
      sasl = { mechanism, username, password }
  }

  return {
    security: { tls, sasl },
    topics: {
      create: parsed.KAFKA_CREATE_TOPICS,
      replicationFactor: parsed.KAFKA_REPLICATION_FACTOR,
      minInsyncReplicas: parsed.KAFKA_MIN_INSYNC_REPLICAS ?? null,
    },
  }
}

const AccessSchema = z.object(kafkaAccessVariables)

/**
 * For commands and tools outside the services (the start command, benchmarks): the same variables,
 * read straight from the environment; throws one error listing every problem.
 */
export function kafkaAccessFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string = (p) => readFileSync(p, 'utf8'),
): KafkaAccess {
  const present = presentVariables(env)
  const problems: string[] = []
  const parsed = AccessSchema.safeParse(present)
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')} ${issue.message}`)
    throw invalid(problems, parsed.error)
  }
  const access = readKafkaAccess(parsed.data, present, readFile, problems)
  if (problems.length > 0) throw invalid(problems)
  return access
}

function invalid(problems: string[], cause?: unknown): KafkaSetupError {
  return new KafkaSetupError(
    'KAFKA_SETTINGS_INVALID',
    `Kafka settings are invalid:\n  - ${problems.join('\n  - ')}`,
    {
      retryable: false,
      cause,
    },
  )
}
