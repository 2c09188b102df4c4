import type { IncomingMessage } from 'node:http'

export type PlainBodyDone = (error: Error | undefined, body: Buffer) => void

const DIGITS = /^\d+$/
const EMPTY = Buffer.alloc(0)

/**
 * Reads the body of the usual callback: no Content-Encoding, no Transfer-Encoding, a Content-Length
 * within `limit`. Returns false, having read nothing, for any other request: express.raw reads those
 * (inflation, chunked bodies, the 413 after reading the body off). Its answers are express.raw's for
 * the same request: an aborted request is its `request.aborted` error, a body that ends short of or
 * past its length `request.size.invalid` (node:http's parser does not let that happen), an error of the
 * stream that error itself; the bytes are the body (one chunk as it came, several joined).
 */
export function readPlainBody(req: IncomingMessage, limit: number, done: PlainBodyDone): boolean {
  const headers = req.headers
  if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return false
  const declared = headers['content-length']
  if (declared === undefined || !DIGITS.test(declared)) return false
  const length = Number(declared)
  if (length > limit) return false

  let first: Buffer | null = null
  let more: Buffer[] | null = null
  let received = 0
  const finish = (error: Error | undefined, body: Buffer): void => {
    req.off('data', onData)
    req.off('end', onEnd)
    req.off('aborted', onAborted)
    req.off('error', onError)
    done(error, body)
  }
  const onData = (chunk: Buffer): void => {
    received += chunk.length
    if (first === null) first = chunk
    else if (more === null) more = [first, chunk]
    else more.push(chunk)
  }
  const onEnd = (): void => {
    if (received !== length) finish(sizeMismatch(), EMPTY)
    else finish(undefined, more !== null ? Buffer.concat(more, received) : (first ?? EMPTY))
  }
  const onAborted = (): void => finish(aborted(), EMPTY)
  const onError = (error: Error): void => finish(error, EMPTY)
  req.on('data', onData)
  req.on('end', onEnd)
  req.on('aborted', onAborted)
  req.on('error', onError)
  return true
}

/** express.raw's errors, with the fields bodyErrorAnswer reads. */
function aborted(): Error {
  return Object.assign(new Error('request aborted'), { status: 400, type: 'request.aborted' })
}

function sizeMismatch(): Error {
  return Object.assign(new Error('request size did not match content length'), {
    status: 400,
    type: 'request.size.invalid',
  })
}
