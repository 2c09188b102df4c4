import { createServer, type IncomingMessage } from 'node:http'
import { type AddressInfo, connect, type Socket } from 'node:net'
import { request } from 'undici'
import { afterEach, expect, test } from 'vitest'
import { createEgressDispatcher } from './egress.ts'

const closers: Array<() => Promise<void>> = []
afterEach(async () => {
  for (const close of closers.splice(0)) await close()
})

/** A server that answers every request and remembers what it was asked; as a proxy, it tunnels
 * every CONNECT to `upstream` whatever host was asked for (so a made-up ZEGO host works). */
async function fakeServer(upstream?: number): Promise<{ url: string; port: number; seen: string[] }> {
  const seen: string[] = []
  const server = createServer((req: IncomingMessage, res) => {
    seen.push(req.url ?? '')
    res.end('{"Code":0}')
  })
  server.on('connect', (req: IncomingMessage, client: Socket) => {
    seen.push(`CONNECT ${req.url}`)
    const tunnel = connect(upstream ?? 0, '127.0.0.1', () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      tunnel.pipe(client)
      client.pipe(tunnel)
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  closers.push(() => {
    server.closeAllConnections()
    return new Promise((resolve) => server.close(() => resolve()))
  })
  const { port } = server.address() as AddressInfo
  return { url: `http://127.0.0.1:${port}`, port, seen }
}

test('ZEGO calls go through HTTP(S)_PROXY', async () => {
  const zego = await fakeServer()
  const proxy = await fakeServer(zego.port)
  const dispatcher = createEgressDispatcher({ HTTP_PROXY: proxy.url })
  closers.push(() => dispatcher.close())
  const answer = await request('http://rtc-api.zego.example/?Action=StopMix', { dispatcher })
  expect(await answer.body.text()).toBe('{"Code":0}')
  expect(proxy.seen).toEqual(['CONNECT rtc-api.zego.example:80'])
  expect(zego.seen).toEqual(['/?Action=StopMix'])
})

test('a host in NO_PROXY is reached directly', async () => {
  const proxy = await fakeServer()
  const target = await fakeServer()
  const dispatcher = createEgressDispatcher({ http_proxy: proxy.url, NO_PROXY: '127.0.0.1' })
  closers.push(() => dispatcher.close())
  await (await request(`${target.url}/direct`, { dispatcher })).body.text()
  expect(proxy.seen).toEqual([])
  expect(target.seen).toEqual(['/direct'])
})
