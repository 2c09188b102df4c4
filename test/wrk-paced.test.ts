// bench:ingest's paced row (wrk + callbacks.lua with a rate) is open loop: a server that stalls shows
// every callback that came due during the stall in the percentiles, not only the few connections that
// were waiting, and the driver says it fell behind.
import { once } from 'node:events'
import { mkdtemp, rm } from 'node:fs/promises'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, test } from 'vitest'
import { callbackBody, readSignedCallbacks, writeSignedCallbacks } from '../bench/signed-callbacks.ts'
import { runPacedWrk } from '../bench/wrk.ts'

describe('the paced wrk driver', () => {
  test('counts latency from each callback’s due time, so a 400 ms stall reaches p90 with 16 connections', async () => {
    // Answers echo x-request-id (as ingest does); every request arriving 700–1100 ms after the first is
    // held until 1100 ms. At 500/s that is ~200 callbacks due in the stall against 16 connections: a
    // driver timing from its own send would see 16 slow answers of ~1,000 (p90 ≈ 1 ms).
    let first = 0
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      req.resume()
      req.once('end', () => {
        const now = performance.now()
        if (first === 0) first = now
        const answer = () => {
          res.setHeader('x-request-id', String(req.headers['x-request-id']))
          res.end('{"ok":true}')
        }
        const at = now - first
        if (at >= 700 && at < 1100) setTimeout(answer, 1100 - at)
        else answer()
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const dir = await mkdtemp(join(tmpdir(), 'wrk-paced-'))
    try {
      const callbacksFile = join(dir, 'callbacks.txt')
      await writeSignedCallbacks(callbacksFile, 2_000, 'paced-test')
      const r = await runPacedWrk({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        path: '/zego/callback',
        callbacksFile,
        perSecond: 500,
        seconds: 2,
        connections: 16,
        threads: 1,
      })
      expect(r.failed).toBe(0)
      // Every sent callback but those in flight when wrk stopped was answered; the rate was kept.
      expect(r.sent - r.answered).toBeLessThanOrEqual(16)
      expect(r.sent).toBeGreaterThan(0.9 * r.offered)
      expect(r.p90Ms).toBeGreaterThanOrEqual(100)
      expect(r.maxMs).toBeGreaterThanOrEqual(350)
      // All 16 connections were held: the driver fell behind, and says so.
      expect(r.lateMaxMs).toBeGreaterThanOrEqual(200)
    } finally {
      server.closeAllConnections()
      server.close()
      await rm(dir, { recursive: true, force: true })
    }
  })

  test('sends the app it is given, each body byte for byte the template of signed-callbacks.ts', async () => {
    const bodies: string[] = []
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = []
      req.on('data', (c: Buffer) => chunks.push(c))
      req.once('end', () => {
        bodies.push(Buffer.concat(chunks).toString('utf8'))
        res.setHeader('x-request-id', String(req.headers['x-request-id']))
        res.end('{"ok":true}')
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const dir = await mkdtemp(join(tmpdir(), 'wrk-paced-'))
    try {
      const callbacksFile = join(dir, 'callbacks.txt')
      await writeSignedCallbacks(callbacksFile, 400, 'paced-app')
      const r = await runPacedWrk({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        path: '/zego/callback',
        callbacksFile,
        perSecond: 200,
        seconds: 1,
        connections: 4,
        threads: 1,
        appId: 7001,
      })
      expect(r.answered).toBeGreaterThan(100)
      // The i-th line of the file is sent as the template's i-th body (its room picked by i).
      const expected = new Map(
        (await readSignedCallbacks(callbacksFile)).map((auth, i) => [
          auth.nonce,
          callbackBody(auth, i, 7001),
        ]),
      )
      expect(bodies.length).toBeGreaterThan(100)
      for (const body of bodies) {
        const nonce = (JSON.parse(body) as { nonce: string }).nonce
        expect(body).toBe(expected.get(nonce))
      }
    } finally {
      server.closeAllConnections()
      server.close()
      await rm(dir, { recursive: true, force: true })
    }
  })
})
