import type { KafkaSecurity } from './security.ts'

export type KafkaAccessProblemCode =
  | 'KAFKA_AUTH_FAILED'
  | 'KAFKA_TLS_UNTRUSTED'
  | 'KAFKA_TLS_MISMATCH'
  | 'KAFKA_NOT_AUTHORIZED'

/**
 * A cluster that refuses who we are or that we do not trust: retrying does not help, the setting
 * named in the message has to change.
 */
export class KafkaAccessError extends Error {
  override readonly name = 'KafkaAccessError'
  readonly retryable = false
  readonly code: KafkaAccessProblemCode
  constructor(code: KafkaAccessProblemCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

const UNTRUSTED = new Set([
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
])

/** Every error in a kafkajs chain: retries wrap the first failure in `originalError` or `cause`. */
type Link = { name?: string; message?: string; code?: string; type?: string }

function chain(error: unknown): Link[] {
  const seen: Link[] = []
  let current = error as Record<string, unknown> | undefined
  while (current && typeof current === 'object' && seen.length < 10) {
    seen.push(current as Link)
    current = (current.originalError ?? current.cause) as Record<string, unknown> | undefined
  }
  return seen
}

/**
 * Turns a kafkajs failure caused by credentials or certificates into one error that names the setting
 * to fix; null for anything else (an unreachable broker stays the caller's retryable problem).
 * The message never carries a secret: only variable names, the user name and the mechanism.
 */
export function explainKafkaAccess(error: unknown, security: KafkaSecurity): KafkaAccessError | null {
  for (const e of chain(error)) {
    if (e.name === 'KafkaJSSASLAuthenticationError') {
      const who = security.sasl
        ? `user ${JSON.stringify(security.sasl.username)} with ${security.sasl.mechanism.toUpperCase()}`
        : 'without credentials'
      return new KafkaAccessError(
        'KAFKA_AUTH_FAILED',
        `Kafka refused to authenticate ${who}: check KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE), and KAFKA_SASL_MECHANISM (${e.message ?? ''})`,
        { cause: error },
      )
    }
    if (e.type?.endsWith('_AUTHORIZATION_FAILED')) {
      const who = security.sasl ? `user ${JSON.stringify(security.sasl.username)}` : 'this client'
      return new KafkaAccessError(
        'KAFKA_NOT_AUTHORIZED',
        `Kafka refused ${who} an operation (${e.type}): grant the ACLs the service's README lists, or, if Mixguard may not create topics, set KAFKA_CREATE_TOPICS=false and create them yourself`,
        { cause: error },
      )
    }
    const code = e.code ?? ''
    if (UNTRUSTED.has(code)) {
      const trusted = security.tls?.ca
        ? 'the CA in KAFKA_SSL_CA_FILE'
        : "the system's CAs (KAFKA_SSL_CA_FILE is not set)"
      return new KafkaAccessError(
        'KAFKA_TLS_UNTRUSTED',
        `the Kafka broker's certificate is not trusted (${code}): it must be signed by ${trusted}; set KAFKA_SSL_CA_FILE to the CA bundle that signed the brokers' certificates`,
        { cause: error },
      )
    }
    if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') {
      return new KafkaAccessError(
        'KAFKA_TLS_MISMATCH',
        `the Kafka broker's certificate does not name the host we connected to (${e.message ?? code}): use the broker's advertised name in KAFKA_BROKERS, or set KAFKA_SSL_SERVER_NAME to the name in its certificate`,
        { cause: error },
      )
    }
  }
  return null
}
