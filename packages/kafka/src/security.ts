import type { ConnectionOptions } from 'node:tls'
import type { KafkaConfig, SASLOptions } from 'kafkajs'

/** Anything that hands out a secret only when asked (service-kit's `Secret`); never printed here. */
export interface RevealableSecret {
  reveal(): string
}

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'

/**
 * How a client reaches a secured cluster. PEM text, not paths: the caller reads the files (and names
 * the variable when one cannot be read). `null` TLS means plaintext.
 */
export interface KafkaSecurity {
  tls: {
    /** Extra CA certificates to trust (PEM); null trusts the system's CAs only. */
    ca: string | null
    /** A client certificate and key (PEM) for clusters that authenticate clients by certificate. */
    cert: string | null
    key: RevealableSecret | null
    keyPassphrase: RevealableSecret | null
    /** The name the broker's certificate must carry; null checks each broker's host name. */
    serverName: string | null
    /** false switches the host-name check off (the chain is still verified). */
    checkServerName: boolean
  } | null
  sasl: { mechanism: SaslMechanism; username: string; password: RevealableSecret } | null
}

export const PLAINTEXT: KafkaSecurity = { tls: null, sasl: null }

/** The kafkajs `ssl` and `sasl` settings for a security choice. */
export function kafkajsSecurity(security: KafkaSecurity): Pick<KafkaConfig, 'ssl' | 'sasl'> {
  const { tls, sasl } = security
  const out: Pick<KafkaConfig, 'ssl' | 'sasl'> = {}
  if (tls) {
    const options: ConnectionOptions = { rejectUnauthorized: true }
    if (tls.ca) options.ca = tls.ca
    if (tls.cert) options.cert = tls.cert
    if (tls.key) options.key = tls.key.reveal()
    if (tls.keyPassphrase) options.passphrase = tls.keyPassphrase.reveal()
    if (tls.serverName) options.servername = tls.serverName
    if (!tls.checkServerName) options.checkServerIdentity = () => undefined
    out.ssl = options
  }
  if (sasl) {
    // kafkajs reads the password once per connection; the getter keeps it out of any printed config.
    const { mechanism, username, password } = sasl
    out.sasl = {
      mechanism,
      username,
      get password() {
        return password.reveal()
      },
    } as SASLOptions
  }
  return out
}
