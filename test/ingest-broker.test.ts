import { once } from 'node:events'
import { existsSync } from 'node:fs'
import { type AddressInfo, createServer } from 'node:net'
import { describe, expect, test } from 'vitest'
import { listenerPid, localBrokerPid } from '../bench/ingest-broker.ts'

describe.runIf(existsSync('/proc/net/tcp'))('the broker process of bench:ingest, found by its port', () => {
  test('the process listening on a port is found; a port nobody listens on is undefined', async () => {
    const server = createServer()
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    const { port } = server.address() as AddressInfo
    try {
      expect(await listenerPid(port)).toBe(process.pid)
      expect(await localBrokerPid([`127.0.0.1:${port}`, 'elsewhere:9092'])).toBe(process.pid)
      expect(await localBrokerPid([`kafka.example:${port}`])).toBeUndefined()
    } finally {
      server.close()
      await once(server, 'close')
    }
    expect(await listenerPid(port)).toBeUndefined()
  })
})
