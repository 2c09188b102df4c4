import type { AddressInfo } from 'node:net'
import { Registry } from 'prom-client'
import { describe, expect, it } from 'vitest'
import { createHttpApp } from './http.ts'
import { isLoopback } from './loopback.ts'

describe('the status page route', () => {
  it('answers a local client with the page, read-only', async () => {
    const app = createHttpApp({
      registry: new Registry(),
      ready: () => ({ ready: true, reason: 'test' }),
      beforeScrape: () => {},
      status: { html: async () => '<p>status</p>', json: () => ({ now: 1, apps: [] }) },
    })
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/status`
      const page = await fetch(url)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toMatch(/^text\/html/)
      expect(await page.text()).toBe('<p>status</p>')
      expect((await fetch(url, { method: 'POST' })).status).toBe(404)
      expect(await (await fetch(`${url}.json`)).json()).toEqual({ now: 1, apps: [] })
    } finally {
      server.close()
    }
  })

  it('counts only loopback addresses as local', () => {
    for (const address of ['127.0.0.1', '127.8.9.1', '::1', '::ffff:127.0.0.1'])
      expect(isLoopback(address)).toBe(true)
    for (const address of ['10.0.0.1', '::ffff:10.0.0.1', '192.168.1.2', 'fe80::1', undefined])
      expect(isLoopback(address)).toBe(false)
  })
})
