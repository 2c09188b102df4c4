/**
 * Every secret a drill hands out (server and callback secrets) and every callback signature it sends,
 * and a scan of every log line the drilled processes printed for any of them. A signature in a ZEGO
 * API query (`Signature=<md5>`) counts too, whoever signed it.
 */
export interface SecretHit {
  source: string
  kind: 'secret' | 'callback signature' | 'request signature'
}

export interface SecretBook {
  secret(value: string): void
  signature(value: string): void
  /** Scans lines now (signatures sent so far must already be noted). */
  scan(source: string, lines: Iterable<string>): void
  readonly linesScanned: number
  readonly hits: SecretHit[]
}

const HEX_RUN = /[0-9a-f]{40}/gi
const REQUEST_SIGNATURE = /Signature=[0-9a-f]{32}/i

export function createSecretBook(): SecretBook {
  const secrets = new Set<string>()
  const signatures = new Set<string>()
  const hits: SecretHit[] = []
  let linesScanned = 0
  return {
    secret: (value) => void secrets.add(value),
    signature: (value) => void signatures.add(value.toLowerCase()),
    scan(source, lines) {
      for (const line of lines) {
        linesScanned += 1
        for (const s of secrets) if (line.includes(s)) hits.push({ source, kind: 'secret' })
        for (const run of line.match(HEX_RUN) ?? [])
          if (signatures.has(run.toLowerCase())) hits.push({ source, kind: 'callback signature' })
        if (REQUEST_SIGNATURE.test(line)) hits.push({ source, kind: 'request signature' })
      }
    },
    get linesScanned() {
      return linesScanned
    },
    hits,
  }
}
