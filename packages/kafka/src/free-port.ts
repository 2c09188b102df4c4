import { createServer } from 'node:net'
import { KafkaSetupError } from './errors.ts'

/** A TCP port on 127.0.0.1 that was free a moment ago (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer()
    server.unref()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const address = server.address()
      const port = typeof address === 'object' && address ? address.port : 0
      server.close(() =>
        port > 0
          ? resolve(port)
          : reject(new KafkaSetupError('KAFKA_START_FAILED', 'no free port', { retryable: false })),
      )
    })
  })
}
