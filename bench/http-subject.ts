// One HTTP subject for the load generators, as its own process so it has the CPU to itself:
//   bare     node:http answering 200 (Node's HTTP ceiling)
//   express  Express + express.json() answering 200 (the framework's ceiling)
//   naive    what a user would write: Express + express.json(), the signature checked, one kafkajs
//            `send` per callback with acks = all, 200 once Kafka acknowledged
// Prints one JSON line `{"url": …}` on stdout when it listens; exits when stdin closes (the bench
// that started it is gone) or on SIGTERM.
// Run: node bench/http-subject.ts <bare|express|naive> [brokers] [topic] [callbackSecret]
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { callbackSignature } from '@mixguard/zego-api'
import express from 'express'
import { Kafka, logLevel } from 'kafkajs'

const [kind, brokers = '', topic = '', secret = ''] = process.argv.slice(2)

async function naive(): Promise<{ server: Server; close: () => Promise<void> }> {
  const kafka = new Kafka({ clientId: 'naive', brokers: brokers.split(','), logLevel: logLevel.ERROR })
  const producer = kafka.producer()
  await producer.connect()
  const app = express()
  app.use(express.json())
  app.post('/zego/callback', async (req, res) => {
    const { appid, timestamp, nonce, signature } = req.body ?? {}
    if (callbackSignature(secret, String(timestamp), String(nonce)) !== signature) {
      res.status(401).json({ error: 'bad signature' })
      return
    }
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [{ key: String(appid), value: JSON.stringify(req.body) }],
      })
      res.json({ code: 0 })
    } catch {
      res.status(503).json({ error: 'kafka' })
    }
  })
  return { server: createServer(app), close: () => producer.disconnect() }
}

function frameworkOnly(): Server {
  const app = express()
  app.use(express.json())
  app.post('/zego/callback', (_req, res) => {
    res.json({ code: 0 })
  })
  return createServer(app)
}

function bare(): Server {
  return createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' })
      res.end('{"code":0}')
    })
  })
}

const subject =
  kind === 'naive'
    ? await naive()
    : kind === 'express'
      ? { server: frameworkOnly(), close: async () => {} }
      : kind === 'bare'
        ? { server: bare(), close: async () => {} }
        : null
if (subject === null) {
  console.error(`unknown subject ${JSON.stringify(kind)}: bare, express or naive`)
  process.exit(2)
}
const { server, close } = subject
server.keepAliveTimeout = 60_000
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }))

const stop = () => {
  server.closeAllConnections()
  server.close()
  void close().finally(() => process.exit(0))
}
process.stdin.on('end', stop).resume()
process.once('SIGTERM', stop)
