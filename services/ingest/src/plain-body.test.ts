import { EventEmitter } from 'node:events'
import type { IncomingMessage } from 'node:http'
import { describe, expect, test } from 'vitest'
import { readPlainBody } from './plain-body.ts'

/** A request as the reader sees it: headers and the events node:http emits. */
function fakeRequest(headers: Record<string, string>): IncomingMessage & EventEmitter {
  return Object.assign(new EventEmitter(), { headers }) as unknown as IncomingMessage & EventEmitter
}

function read(req: IncomingMessage, limit = 100) {
  const calls: { error: (Error & { type?: string; status?: number }) | undefined; body: Buffer }[] = []
  const taken = readPlainBody(req, limit, (error, body) => calls.push({ error, body }))
  return { taken, calls }
}

describe('readPlainBody', () => {
  test('takes only a declared length within the limit, without Content-Encoding or Transfer-Encoding', () => {
    const declined: Record<string, string>[] = [
      {},
      { 'content-length': '101' },
      { 'content-length': '10', 'content-encoding': 'identity' },
      { 'content-length': '10', 'content-encoding': 'gzip' },
      { 'transfer-encoding': 'chunked' },
      { 'content-length': '10', 'transfer-encoding': 'chunked' },
      { 'content-length': '1e1' },
      { 'content-length': '' },
    ]
    for (const headers of declined) {
      const req = fakeRequest(headers)
      expect({ headers, taken: read(req).taken }).toEqual({ headers, taken: false })
      // Nothing read: express.raw gets the stream untouched.
      expect(req.eventNames()).toEqual([])
    }
    expect(read(fakeRequest({ 'content-length': '100' })).taken).toBe(true)
    expect(read(fakeRequest({ 'content-length': '0' })).taken).toBe(true)
  })

  test('one chunk is the body; several are joined in order; no listener is left behind', () => {
    const one = fakeRequest({ 'content-length': '3' })
    const chunk = Buffer.from('abc')
    const a = read(one)
    one.emit('data', chunk)
    one.emit('end')
    expect(a.calls).toEqual([{ error: undefined, body: chunk }])
    expect(a.calls[0]?.body).toBe(chunk)
    expect(one.eventNames()).toEqual([])

    const three = fakeRequest({ 'content-length': '6' })
    const b = read(three)
    for (const part of ['ab', 'cd', 'ef']) three.emit('data', Buffer.from(part))
    three.emit('end')
    expect(b.calls.map((c) => [c.error, c.body.toString()])).toEqual([[undefined, 'abcdef']])

    const empty = fakeRequest({ 'content-length': '0' })
    const c = read(empty)
    empty.emit('end')
    expect(c.calls.map((x) => [x.error, x.body.length])).toEqual([[undefined, 0]])
  })

  test("express.raw's errors: aborted, size mismatch, and a stream error as it came", () => {
    const cut = fakeRequest({ 'content-length': '10' })
    const a = read(cut)
    cut.emit('data', Buffer.from('abc'))
    cut.emit('aborted')
    expect(a.calls).toHaveLength(1)
    expect(a.calls[0]?.error).toMatchObject({
      message: 'request aborted',
      status: 400,
      type: 'request.aborted',
    })
    // node:http emits its error after 'aborted' only to listeners: none is left, as with express.raw.
    expect(cut.listenerCount('error')).toBe(0)

    const short = fakeRequest({ 'content-length': '10' })
    const b = read(short)
    short.emit('data', Buffer.from('abc'))
    short.emit('end')
    expect(b.calls[0]?.error).toMatchObject({
      message: 'request size did not match content length',
      status: 400,
      type: 'request.size.invalid',
    })

    const broken = fakeRequest({ 'content-length': '10' })
    const c = read(broken)
    const failure = new Error('socket hang up')
    broken.emit('error', failure)
    expect(c.calls.map((x) => x.error)).toEqual([failure])
    expect(broken.eventNames()).toEqual([])
  })
})
