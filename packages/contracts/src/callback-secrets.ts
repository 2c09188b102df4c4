import { sha256Hex } from './canonical-hash.ts'

/**
 * The fields that prove a callback came from ZEGO. ZEGO's signature covers `timestamp` and `nonce`
 * only, not the body, so the three together are a credential: whoever reads them can sign any body
 * with them until the freshness window closes. They never leave ingest.
 */
const AUTH_FIELDS = new Set(['signature', 'nonce', 'timestamp'])

/** A form may send a field as `name[]`: ingest's verifier reads that spelling too. */
const fieldName = (key: string): string => (key.endsWith('[]') ? key.slice(0, -2) : key)

/**
 * A copy of a callback body (JSON or form record) without `signature`, `nonce` and `timestamp`, in
 * either spelling. Everything else is kept as it came, a field named `__proto__` included.
 */
export function withoutCallbackSecrets(body: Record<string, unknown>): Record<string, unknown> {
  // The usual body (each field in its plain spelling, no "__proto__"): a rest copy, which V8 builds as
  // a fast object; the loop below makes a dictionary of a two-dozen-field body, slow to stringify.
  if (!SPECIAL_KEYS.some((key) => Object.hasOwn(body, key))) {
    const { signature: _signature, nonce: _nonce, timestamp: _timestamp, ...rest } = body
    return rest
  }
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(body)) {
    if (AUTH_FIELDS.has(fieldName(key))) continue
    // Defined, not assigned, so a "__proto__" key stays a field. Built without `delete`, which would
    // turn the copy into a slow dictionary object for JSON.stringify (every event's `raw`).
    if (key === '__proto__') Object.defineProperty(copy, key, { value: body[key], ...FIELD })
    else copy[key] = body[key]
  }
  return copy
}

const FIELD = { enumerable: true, writable: true, configurable: true } as const
const SPECIAL_KEYS = ['__proto__', ...[...AUTH_FIELDS].map((name) => `${name}[]`)]

/**
 * What is kept of a signature for forensics: its sha256 (lowercase hex, of the lowercase signature).
 * It cannot be turned back into the signature, yet it ties every record made from one signed delivery
 * together, so a captured signature replayed with another body shows up as one hash on two bodies.
 */
export function signatureSha256(signature: string): string {
  return sha256Hex(signature.toLowerCase())
}
