import { DEFAULT_TOPIC_PREFIX } from '@mixguard/contracts'
import { parseBrokerList } from '@mixguard/kafka'
import { z } from 'zod'

/** Schemas for environment variables the services share; each problem reads "<VAR> <what is wrong>". */

export const wholeNumber = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max}`)

export const brokerList = z
  .string({ error: 'is required (host:port[,host:port…])' })
  .transform((value, ctx) => {
    try {
      return parseBrokerList(value)
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: (error as Error).message.replace(/^KAFKA_BROKERS /, '') })
      return z.NEVER
    }
  })

export const topicPrefix = z
  .string()
  .regex(/^[a-zA-Z0-9._-]{1,200}$/, 'must be a legal Kafka name (letters, digits, . _ -)')
  .default(DEFAULT_TOPIC_PREFIX)

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info')
export type LogLevel = z.output<typeof logLevel>

export const httpUrl = z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' })

/** An empty variable means "not set", as in most deployment tools. */
export function presentVariables(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter(
      (entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== '',
    ),
  )
}

/**
 * Variables renamed before 1.0 are refused, not aliased: the error names the new variable once, at the
 * upgrade, where a deprecation warning would be ignored until the alias went away.
 */
export function refuseRenamed(
  env: Readonly<Record<string, string | undefined>>,
  renamed: Readonly<Record<string, string>>,
  problems: string[],
): void {
  for (const [old, now] of Object.entries(renamed)) {
    if (env[old] !== undefined)
      problems.push(`${old} was renamed ${now}: rename it (no value is read from ${old})`)
  }
}
