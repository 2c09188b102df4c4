import { signQuery } from '@mixguard/zego-api'
import { createSender, eventIdOf, eventIdOnTopic, paced, type Sent, streamCreate } from './callbacks.ts'
import { type Drill, within } from './drill.ts'
import { orphan, orphansEnded, startTask } from './mix-tasks.ts'
import { quantile, rows } from './report.ts'
import { startStack } from './stack.ts'

const KB = 1024
/** The wedge: eight StartMix bodies of ~240 KB at once, recorded twice each. */
const PASSTHROUGH_BYTES = 240 * KB
/** Above ingest's default body limit (256 KB): must be refused. */
const HUGE_CALLBACK_BYTES = 300 * KB
/** Under the body limit, but eight of them are more than one Kafka record batch can hold. */
const BIG_CALLBACK_BYTES = 200 * KB

/**
 * Drill 4: a burst of oversize passthrough bodies and oversize callbacks while ordinary signed
 * callbacks keep arriving. Every oversize request is refused (4xx) or its record dead-lettered; every
 * ordinary callback is acknowledged and lands on the events topic; an orphan made after the burst is
 * still stopped (the pipeline behind ingest keeps flowing).
 */
export const oversizeBurst: Drill = {
  name: 'oversize-burst',
  async run(ctx) {
    const size = ctx.short
      ? { rounds: 1, normalPerSecond: 20, seconds: 8 }
      : { rounds: 4, normalPerSecond: 50, seconds: 30 }
    const r = rows('4 oversize burst')
    const stack = await startStack({
      label: 'oversize',
      brokers: ctx.brokers,
      book: ctx.book,
      logDir: ctx.logDir,
      reconciler: true,
      policy: { graceMs: { normal: 3_000 } },
    })
    const sender = createSender(stack.ingestUrl, { connections: 64, timeoutMs: 10_000 })
    try {
      const { app } = stack
      const events = await stack.collect('events')
      const deadLetters = await stack.collect('dead-letter')
      const normal: Array<{ id: string; sent: Sent }> = []
      const inFlight: Array<Promise<unknown>> = []
      const postCallback = (payload: Record<string, unknown>) =>
        sender.post('/zego/callback', JSON.stringify(payload))
      const load = paced(size.normalPerSecond, size.seconds, (n) => {
        const payload = streamCreate(app, ctx.book, { streamId: `normal-${n}` })
        inFlight.push(postCallback(payload).then((sent) => normal.push({ id: eventIdOf(payload), sent })))
      })

      const oversize = { passthrough: [] as Sent[], huge: [] as Sent[], big: [] as Sent[] }
      for (let round = 0; round < size.rounds; round++) {
        await new Promise((resolve) =>
          setTimeout(resolve, ((size.seconds * 1000) / (size.rounds + 1)) * (round === 0 ? 1 : 0.5)),
        )
        ctx.progress(`oversize-burst: burst ${round + 1}`)
        const burst = Array.from({ length: 8 }, (_, i) => {
          const tag = `${round}-${i}`
          const query = new URLSearchParams({
            Action: 'StartMix',
            ...signQuery(app.appId, app.serverSecret, Date.now()),
          })
          const body = JSON.stringify({
            TaskId: `oversize-${tag}`,
            RoomId: `oversize-${tag}`,
            Padding: 'p'.repeat(PASSTHROUGH_BYTES),
          })
          return [
            sender.post(`/zego/?${query}`, body).then((s) => void oversize.passthrough.push(s)),
            postCallback(
              streamCreate(app, ctx.book, {
                streamId: `huge-${tag}`,
                extra: { extra_info: 'h'.repeat(HUGE_CALLBACK_BYTES) },
              }),
            ).then((s) => void oversize.huge.push(s)),
            postCallback(
              streamCreate(app, ctx.book, {
                streamId: `big-${tag}`,
                extra: { extra_info: 'b'.repeat(BIG_CALLBACK_BYTES) },
              }),
            ).then((s) => void oversize.big.push(s)),
          ]
        }).flat()
        await Promise.all(burst)
      }
      await load
      await Promise.all(inFlight)

      // The pipeline behind ingest still flows: an orphan made now is stopped.
      const task = await startTask(stack, 'after-burst', false)
      orphan(stack, task)
      const stopped = await within(
        orphansEnded(stack, [task]).then(() => true),
        30_000,
        false,
      )

      const acked = normal.filter((n) => n.sent.status >= 200 && n.sent.status < 300)
      const wanted = new Set(acked.map((n) => n.id))
      const onTopic = new Set<string>()
      let scanned = 0
      await events
        .until(
          'every acknowledged ordinary callback',
          (records) => {
            for (; scanned < records.length; scanned++) {
              const id = eventIdOnTopic((records[scanned] as { value: Buffer }).value)
              if (id !== undefined) onTopic.add(id)
            }
            return [...wanted].every((id) => onTopic.has(id))
          },
          30_000,
        )
        .catch(() => undefined)
      const landed = [...wanted].filter((id) => onTopic.has(id)).length

      const refused = (list: Sent[]) => list.filter((s) => s.status >= 400 && s.status < 500).length
      const accepted = (list: Sent[]) => list.filter((s) => s.status >= 200 && s.status < 300).length
      const statuses = (list: Sent[]) => summarize(list.map((s) => s.status))
      const oversizeAccepted = accepted(oversize.passthrough) + accepted(oversize.huge)
      const storedWhole = events.records.filter((rec) => rec.value.length > 64 * KB).length
      r.note('oversize passthrough StartMix (~240 KB) answers', statuses(oversize.passthrough))
      r.note('oversize callbacks (~300 KB) answers', statuses(oversize.huge))
      r.note('big callbacks (~200 KB, under the body limit) answers', statuses(oversize.big))
      r.check(
        'oversize requests neither refused nor dead-lettered',
        Math.max(0, oversizeAccepted - deadLetters.records.length),
        oversizeAccepted <= deadLetters.records.length,
      )
      r.note('oversize refused (4xx)', refused(oversize.passthrough) + refused(oversize.huge))
      r.note('records over 64 KB on the events topic', storedWhole)
      r.note('ordinary callbacks sent', normal.length)
      r.check(
        'ordinary callbacks answered 5xx or not at all',
        normal.length - acked.length,
        acked.length === normal.length,
      )
      r.check(
        'acknowledged ordinary callbacks not on the topic',
        wanted.size - landed,
        landed === wanted.size,
      )
      r.note(
        'ordinary callback latency p50 / p99 (ms)',
        `${Math.round(
          quantile(
            normal.map((n) => n.sent.ms),
            0.5,
          ),
        )} / ${Math.round(
          quantile(
            normal.map((n) => n.sent.ms),
            0.99,
          ),
        )}`,
      )
      r.yes('an orphan made after the burst is stopped', stopped)
      r.yes('ingest still running', stack.ingest.child.exitCode === null)
      return r.list
    } finally {
      await sender.close()
      await stack.close()
    }
  },
}

/** "200×8, 413×4": how many answers of each status (0: none came). */
export function summarize(statuses: number[]): string {
  const counts = new Map<number, number>()
  for (const s of statuses) counts.set(s, (counts.get(s) ?? 0) + 1)
  return [...counts.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${s}×${n}`)
    .join(', ')
}
