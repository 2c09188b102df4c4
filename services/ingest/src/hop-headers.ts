import type { IncomingHttpHeaders } from 'node:http'

// Hop-by-hop headers belong to one connection, not to the message (RFC 9110 §7.6.1).
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]

type HeaderValue = string | string[]

/**
 * The headers of one message that may travel on to the next hop: without the hop-by-hop ones, without
 * every header the message's own `Connection` header names (RFC 9110 §7.6.1: a sender lists there the
 * headers meant for this connection only), and without `alsoDrop` (lowercase names). Order is kept.
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders | Record<string, HeaderValue | undefined>,
  alsoDrop: readonly string[],
): Array<[string, HeaderValue]> {
  const drop = new Set([...HOP_BY_HOP, ...alsoDrop])
  for (const value of [headers.connection ?? []].flat()) {
    for (const token of value.split(',')) {
      const name = token.trim().toLowerCase()
      if (name !== '') drop.add(name)
    }
  }
  const out: Array<[string, HeaderValue]> = []
  for (const [name, value] of Object.entries(headers)) {
    if (value !== undefined && !drop.has(name.toLowerCase())) out.push([name, value])
  }
  return out
}
