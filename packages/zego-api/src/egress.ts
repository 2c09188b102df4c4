import { type Dispatcher, EnvHttpProxyAgent } from 'undici'

/** The proxy variables ZEGO API calls honour (lower-case spellings too, as curl does). */
export const EGRESS_VARIABLES = ['HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'] as const

/**
 * The network for calls to ZEGO's API: through HTTPS_PROXY (or HTTP_PROXY for http URLs) unless the
 * host is in NO_PROXY; direct when none is set.
 */
export function createEgressDispatcher(env: Readonly<Record<string, string | undefined>>): Dispatcher {
  const pick = (name: (typeof EGRESS_VARIABLES)[number]) => env[name] ?? env[name.toLowerCase()]
  const options: ConstructorParameters<typeof EnvHttpProxyAgent>[0] = {}
  const httpProxy = pick('HTTP_PROXY')
  const httpsProxy = pick('HTTPS_PROXY')
  const noProxy = pick('NO_PROXY')
  // An explicit empty string switches a proxy off (undici would otherwise read process.env itself).
  options.httpProxy = httpProxy ?? ''
  options.httpsProxy = httpsProxy ?? httpProxy ?? ''
  options.noProxy = noProxy ?? ''
  return new EnvHttpProxyAgent(options)
}
