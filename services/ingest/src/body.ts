import type { Answer } from './answer.ts'

/** The two encodings ZEGO has used for callbacks (docs/zego.md §7.1): JSON now, forms before. */
export type BodyEncoding = 'json' | 'form'

export type MediaCheck = { ok: true; encoding: BodyEncoding } | { ok: false; detail: string }

const JSON_MEDIA: MediaCheck = Object.freeze({ ok: true, encoding: 'json' })

/** Reads Content-Type: only JSON and forms, in UTF-8 (the default for both when no charset is named). */
export function checkMediaType(contentType: string | undefined): MediaCheck {
  // What ZEGO sends on every callback, without splitting and lowercasing each time.
  if (contentType === 'application/json') return JSON_MEDIA
  if (contentType === undefined || contentType.trim() === '') {
    return {
      ok: false,
      detail: 'Content-Type is missing; send application/json or application/x-www-form-urlencoded',
    }
  }
  const [type = '', ...params] = contentType.split(';').map((p) => p.trim().toLowerCase())
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '')
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    return { ok: false, detail: `charset ${charset} is not accepted; send UTF-8` }
  }
  if (type === 'application/json') return { ok: true, encoding: 'json' }
  if (type === 'application/x-www-form-urlencoded') return { ok: true, encoding: 'form' }
  return {
    ok: false,
    detail: `Content-Type ${type} is not accepted; send application/json or application/x-www-form-urlencoded`,
  }
}

export type BodyParse =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; reason: 'malformed_body' | 'body_too_deep'; detail: string }

/**
 * How deep a JSON body may nest (the body itself is level 1). ZEGO's callbacks are flat; 32 leaves
 * room for any structured field ZEGO may add, and keeps every later step (decoding, hashing,
 * JSON.stringify, which recurses) far from the stack's limit.
 */
export const MAX_BODY_DEPTH = 32
export const TOO_DEEP_DETAIL = `body nests deeper than ${MAX_BODY_DEPTH} levels`

const utf8 = new TextDecoder('utf-8', { fatal: true })

/**
 * Turns the raw bytes into a plain record: a JSON object, or a form with repeated keys as arrays.
 * Values are not URL-decoded here beyond the form's own layer; contracts does the rest, once.
 */
export function parseBody(raw: Buffer, encoding: BodyEncoding): BodyParse {
  let text: string
  try {
    text = utf8.decode(raw)
  } catch {
    return { ok: false, reason: 'malformed_body', detail: 'body is not valid UTF-8' }
  }
  switch (encoding) {
    case 'json': {
      let value: unknown
      try {
        value = JSON.parse(text)
      } catch (error) {
        return {
          ok: false,
          reason: 'malformed_body',
          detail: `body is not JSON: ${(error as Error).message}`,
        }
      }
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        return { ok: false, reason: 'malformed_body', detail: 'body must be a JSON object' }
      }
      if (nestsDeeperThan(value, MAX_BODY_DEPTH)) {
        return {
          ok: false,
          reason: 'body_too_deep',
          detail: TOO_DEEP_DETAIL,
        }
      }
      return { ok: true, body: value as Record<string, unknown> }
    }
    case 'form': {
      // A null prototype: a field named __proto__ is a field, not a prototype.
      const body = Object.create(null) as Record<string, string | string[]>
      for (const [key, value] of new URLSearchParams(text)) {
        const seen = body[key]
        body[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
      }
      return { ok: true, body }
    }
    default:
      return encoding satisfies never
  }
}

/**
 * Whether `raw` is JSON nested deeper than MAX_BODY_DEPTH (bytes that are not JSON are not): for the
 * passthrough, whose bodies are recorded after they are forwarded, and recording recurses.
 */
export function isTooDeepJson(raw: Buffer): boolean {
  let value: unknown
  try {
    value = JSON.parse(raw.toString('utf8'))
  } catch {
    return false
  }
  return typeof value === 'object' && value !== null && nestsDeeperThan(value, MAX_BODY_DEPTH)
}

/** Whether a parsed JSON value holds arrays or objects more than `max` levels deep; iterative. */
function nestsDeeperThan(value: object, max: number): boolean {
  const values: object[] = [value]
  const depths: number[] = [1]
  while (values.length > 0) {
    const at = values.pop() as object
    const depth = depths.pop() as number
    if (depth > max) return true
    for (const member of Array.isArray(at) ? at : Object.values(at)) {
      if (typeof member === 'object' && member !== null) {
        values.push(member)
        depths.push(depth + 1)
      }
    }
  }
  return false
}

/**
 * The answer for an error of the body reader (express.raw: size, encoding, aborted or undecodable
 * bodies), or null when the error is not the client's (the caller answers 500).
 */
export function bodyErrorAnswer(error: unknown, contentEncoding: string | undefined): Answer | null {
  const e = error as { type?: string; status?: number; message?: string; limit?: number }
  switch (e.type) {
    case 'entity.too.large':
      return {
        status: 413,
        reason: 'body_too_large',
        detail: `the body limit is ${e.limit} bytes`,
        outcome: 'body_too_large',
      }
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return {
        status: 415,
        reason: 'unsupported_media_type',
        detail: e.message ?? '',
        outcome: 'unsupported_media_type',
      }
    case 'request.aborted':
    case 'request.size.invalid':
      return { status: 400, reason: 'malformed_body', detail: e.message ?? '', outcome: 'malformed_body' }
    default:
      break
  }
  const encoding = contentEncoding?.trim().toLowerCase()
  // The body reader marks what the client got wrong 4xx: here, a body that does not decompress.
  if (e.status !== undefined && e.status >= 400 && e.status < 500 && encoding !== undefined) {
    return {
      status: 400,
      reason: 'bad_content_encoding',
      detail: `the ${encoding} body could not be decompressed: ${e.message ?? ''}`,
      outcome: 'bad_content_encoding',
    }
  }
  return null
}
