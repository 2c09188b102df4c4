import { connect, type Socket } from 'node:net'
import { createSender, paced, type Sent, streamCreate } from './callbacks.ts'
import type { Drill, DrillContext } from './drill.ts'
import { summarize } from './oversize-burst.ts'
import { quantile, rows } from './report.ts'
import { type Stack, startStack } from './stack.ts'

/** Valid callbacks must keep this p99 while slow clients hold connections. */
const P99_BOUND_MS = 1_000

/**
 * Drill 5: thousands of clients send a callback's headers with `Content-Length: 1000` and then nothing,
 * and keep the connection open. ZEGO's callbacks arriving meanwhile must keep their 2xx and their
 * latency (compared with the same traffic before the slow clients came).
 */
export const slowClients: Drill = {
  name: 'slow-clients',
  async run(ctx) {
    const size = ctx.short
      ? { slow: 2_000, perSecond: 40, baselineSec: 3, attackSec: 6 }
      : { slow: 2_000, perSecond: 50, baselineSec: 5, attackSec: 30 }
    const r = rows('5 slow clients')
    const stack = await startStack({
      label: 'slow',
      brokers: ctx.brokers,
      book: ctx.book,
      logDir: ctx.logDir,
    })
    const sender = createSender(stack.ingestUrl, { connections: 16, timeoutMs: 10_000 })
    const sockets: Socket[] = []
    try {
      const baseline = await traffic(stack, ctx, sender, size.perSecond, size.baselineSec)
      let answered = 0
      let closedByServer = 0
      for (let i = 0; i < size.slow; i += 100) {
        await Promise.all(
          Array.from({ length: Math.min(100, size.slow - i) }, () =>
            openSlowClient(
              stack,
              () => {
                answered += 1
              },
              () => {
                closedByServer += 1
              },
            ),
          ),
        ).then((opened) => sockets.push(...opened))
      }
      ctx.progress(`slow-clients: ${sockets.length} slow clients connected`)
      const attack = await traffic(stack, ctx, sender, size.perSecond, size.attackSec)
      const stillOpen = sockets.filter((s) => !s.destroyed).length

      const p = (list: Sent[], q: number) =>
        Math.round(
          quantile(
            list.map((s) => s.ms),
            q,
          ),
        )
      r.note('slow clients connected', sockets.length)
      r.note(
        'slow clients answered / closed by ingest / still open at the end',
        `${answered} / ${closedByServer} / ${stillOpen}`,
      )
      r.note('valid callbacks before: answers', summarize(baseline.map((s) => s.status)))
      r.note('valid callbacks before: p50 / p99 (ms)', `${p(baseline, 0.5)} / ${p(baseline, 0.99)}`)
      const failed = attack.filter((s) => s.status < 200 || s.status >= 300).length
      r.note('valid callbacks during: answers', summarize(attack.map((s) => s.status)))
      r.check('valid callbacks during: not 2xx', failed, failed === 0)
      r.aim(
        `valid callbacks during: p50 / p99 (ms; p99 ≤ ${P99_BOUND_MS})`,
        `${p(attack, 0.5)} / ${p(attack, 0.99)}`,
        p(attack, 0.99) <= P99_BOUND_MS && failed === 0,
      )
      r.yes('ingest still running', stack.ingest.child.exitCode === null)
      return r.list
    } finally {
      for (const s of sockets) s.destroy()
      await sender.close()
      await stack.close()
    }
  },
}

/** Signed stream_create callbacks at a steady rate for `seconds`; resolves with every answer. */
async function traffic(
  stack: Stack,
  ctx: DrillContext,
  sender: ReturnType<typeof createSender>,
  perSecond: number,
  seconds: number,
): Promise<Sent[]> {
  const answers: Array<Promise<Sent>> = []
  await paced(perSecond, seconds, () => {
    const payload = streamCreate(stack.app, ctx.book, { streamId: `valid-${answers.length}-${Date.now()}` })
    answers.push(sender.post('/zego/callback', JSON.stringify(payload)))
  })
  return Promise.all(answers)
}

/** A connection that sends a callback's headers, promises a 1000-byte body, and sends nothing more. */
function openSlowClient(stack: Stack, onAnswer: () => void, onClosed: () => void): Promise<Socket> {
  const { port } = new URL(stack.ingestUrl)
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port: Number(port) }, () => {
      socket.write(
        `POST /zego/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
      )
      resolve(socket)
    })
    let answered = false
    socket.on('data', () => {
      if (!answered) onAnswer()
      answered = true
    })
    socket.on('close', () => onClosed())
    // A refused or reset connection is the server's choice, counted as closed.
    socket.on('error', () => resolve(socket))
  })
}
