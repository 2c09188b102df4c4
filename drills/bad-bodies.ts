import { callbackSignature } from '@mixguard/zego-api'
import { type Random, seededRandom } from '@mixguard/zego-sim'
import { createSender, eventIdOf, eventIdOnTopic, pool, type Sent, streamCreate } from './callbacks.ts'
import type { Drill, DrillContext } from './drill.ts'
import { summarize } from './oversize-burst.ts'
import { rows } from './report.ts'
import type { DrillApp } from './stack.ts'
import { startStack } from './stack.ts'

/** Nesting depth of the deep bodies: the 100,000 (2 bytes a level, under the body limit). */
const DEPTH = 100_000
/** Every stream id of a body that must never be stored carries this mark. */
const FORGED = 'forged-'

interface BadBody {
  category: string
  body: Buffer
  headers: Record<string, string>
  /** The statuses that are right for it. */
  expect: number[]
  /** Send the identical body again right after (a retry), which must not hang either. */
  retry?: boolean
}

const json = { 'content-type': 'application/json' }
const deep = (inner: string) => `${'['.repeat(DEPTH)}${inner}${']'.repeat(DEPTH)}`

/** One generator per category; each returns a body and the answers that are right for it. */
function generators(app: DrillApp, ctx: DrillContext, random: Random) {
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)))
  const signed = (streamId: string, extra: Record<string, unknown> = {}) =>
    streamCreate(app, ctx.book, { streamId, extra })
  const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value))
  const replayable: Buffer[] = []
  let replays = 0
  let n = 0
  const id = (prefix: string) => {
    n += 1
    return `${prefix}${n}`
  }
  const bad = (
    category: string,
    b: Buffer,
    expect: number[],
    headers: Record<string, string> = json,
  ): BadBody => ({
    category,
    body: b,
    headers,
    expect,
  })
  return {
    regular: [
      () => bad('random bytes', bytes(1 + Math.floor(random() * 2_000)), [400]),
      () => {
        const whole = JSON.stringify(signed(id('trunc-')))
        return bad('truncated JSON', body(whole.slice(0, Math.floor(random() * (whole.length - 1)))), [400])
      },
      () => {
        const field = ['appid', 'timestamp', 'nonce', 'signature'][Math.floor(random() * 4)] as string
        const wrong = [{ x: 1 }, [1, 2], null, true, 'not-a-number'][Math.floor(random() * 5)]
        return bad(
          'wrong types in signature fields',
          body({ ...signed(id(FORGED)), [field]: wrong }),
          [400, 401],
        )
      },
      () => {
        // Authentic, so stored — as a dead letter, since its shape is wrong (or refused as malformed).
        const field = ['stream_seq', 'room_id', 'create_time_ms', 'recreate'][
          Math.floor(random() * 4)
        ] as string
        return bad(
          'wrong types in the body (authentic)',
          body(signed(id('wrongtype-'), { [field]: { nested: [1] } })),
          [200, 400],
        )
      },
      () => bad('forged signature', body({ ...signed(id(FORGED)), signature: 'f'.repeat(40) }), [401]),
      () => {
        const payload = signed(id(FORGED))
        const timestamp = String(Math.floor(Date.now() / 1000) - 3_600)
        const nonce = String(payload.nonce)
        const signature = callbackSignature(app.callbackSecret, timestamp, nonce)
        ctx.book.signature(signature)
        return bad('stale timestamp (signed)', body({ ...payload, timestamp, signature }), [401])
      },
      () => {
        // A fresh original every 50 replays: a replay older than the freshness window is stale instead.
        replays += 1
        const original = replayable.at(-1)
        if (original === undefined || replays % 50 === 0) {
          const first = body(signed(id('replayed-')))
          replayable.push(first)
          return bad('valid (to be replayed)', first, [200])
        }
        return bad('replayed (identical)', original, [200])
      },
      () => {
        const payload = signed(id('reused-'))
        const first = body(payload)
        return {
          ...bad('replayed nonce, other body', body({ ...payload, stream_id: id(FORGED) }), [401]),
          // The authentic body goes first (as `prime`), so the nonce is taken when the forgery arrives.
          prime: first,
        }
      },
      () => bad('unknown AppID', body({ ...signed(id(FORGED)), appid: '999' }), [401]),
      () =>
        bad('garbage br body', bytes(64 + Math.floor(random() * 512)), [400, 415], {
          ...json,
          'content-encoding': 'br',
        }),
      () => bad('wrong content type', body(signed(id(FORGED))), [415], { 'content-type': 'text/plain' }),
      () =>
        bad('form garbage', Buffer.from(`a=%%${random()}&&=&appid=%E0%A4%A&b`), [400], {
          'content-type': 'application/x-www-form-urlencoded',
        }),
      () => bad('valid', body(signed(id('valid-'))), [200]),
    ],
    deep: [
      () => ({
        ...bad(
          'deep nesting in an extra field (authentic)',
          Buffer.from(JSON.stringify(signed(id('deep-'))).replace(/}$/, `,"x":${deep('1')}}`)),
          [200, 400, 413],
        ),
        retry: true,
      }),
      () =>
        bad(
          'deep nesting in appid',
          Buffer.from(JSON.stringify({ ...signed(id(FORGED)), appid: '#' }).replace('"#"', deep('"1"'))),
          [400, 401],
        ),
      () =>
        bad(
          'deep nesting in signature',
          Buffer.from(JSON.stringify({ ...signed(id(FORGED)), signature: '#' }).replace('"#"', deep('"1"'))),
          [400, 401],
        ),
    ],
  }
}

/**
 * Drill 6: generated bad bodies (random bytes, truncated JSON, wrong types, deep nesting, forged,
 * stale, replayed, garbage compression…) among valid ones. No 5xx, no hang, the right status each,
 * ingest still running, and nothing that fails the signature check on Kafka.
 */
export const badBodies: Drill = {
  name: 'bad-bodies',
  async run(ctx) {
    const total = ctx.short ? 3_000 : 100_000
    const r = rows('6 bad bodies')
    const stack = await startStack({ label: 'bad', brokers: ctx.brokers, book: ctx.book, logDir: ctx.logDir })
    const sender = createSender(stack.ingestUrl, { connections: 32, timeoutMs: 5_000 })
    try {
      const events = await stack.collect('events')
      const deadLetters = await stack.collect('dead-letter')
      const gen = generators(stack.app, ctx, seededRandom(8_006))
      const byCategory = new Map<string, { statuses: number[]; wrong: number }>()
      const note = (category: string, sent: Sent, expect: number[]) => {
        const c = byCategory.get(category) ?? { statuses: [], wrong: 0 }
        c.statuses.push(sent.status)
        if (!expect.includes(sent.status)) c.wrong += 1
        byCategory.set(category, c)
      }
      await pool(total, 32, async (i) => {
        const make =
          i % 200 < gen.deep.length
            ? gen.deep[i % 200]
            : gen.regular[Math.floor((i * 7919) % gen.regular.length)]
        const b = (make as () => BadBody & { prime?: Buffer })()
        if (b.prime)
          note('valid (nonce then reused)', await sender.post('/zego/callback', b.prime, json), [200])
        note(b.category, await sender.post('/zego/callback', b.body, b.headers), b.expect)
        if (b.retry)
          note(`${b.category}, retried`, await sender.post('/zego/callback', b.body, b.headers), b.expect)
      })
      ctx.progress('bad-bodies: all sent; waiting for the topics to catch up')

      // Sentinels: once they are on Kafka, everything stored before them is too.
      const sentinel = streamCreate(stack.app, ctx.book, { streamId: 'sentinel' })
      const deadSentinel = streamCreate(stack.app, ctx.book, {
        streamId: 'sentinel-dead',
        extra: { stream_seq: { x: 1 } },
      })
      await sender.post('/zego/callback', JSON.stringify(sentinel))
      await sender.post('/zego/callback', JSON.stringify(deadSentinel))
      const sentinelId = eventIdOf(sentinel)
      const caughtUp = await events
        .until(
          'the sentinel',
          (records) => records.some((rec) => eventIdOnTopic(rec.value) === sentinelId),
          30_000,
        )
        .then(() =>
          deadLetters.until(
            'the dead-letter sentinel',
            (records) => records.some((rec) => rec.value.includes('sentinel-dead')),
            30_000,
          ),
        )
        .then(
          () => true,
          () => false,
        )
      const forgedStored = [...events.records, ...deadLetters.records].filter((rec) =>
        rec.value.includes(FORGED),
      ).length

      const all = [...byCategory.values()].flatMap((c) => c.statuses)
      const fiveXx = all.filter((s) => s >= 500).length
      const hangs = all.filter((s) => s === 0).length
      const wrong = [...byCategory.values()].reduce((sum, c) => sum + c.wrong, 0)
      r.note('bodies sent', all.length)
      r.check('answered 5xx', fiveXx, fiveXx === 0)
      r.check('no answer within 5 s (hangs)', hangs, hangs === 0)
      r.check('wrong status (see categories)', wrong, wrong === 0)
      for (const [category, c] of [...byCategory.entries()].sort())
        (c.wrong === 0 ? r.note : (m: string, v: string) => r.check(m, v, false))(
          `  ${category}`,
          summarize(c.statuses),
        )
      r.check(
        'forged, stale or unknown-app records stored',
        caughtUp ? forgedStored : 'topics did not catch up',
        caughtUp && forgedStored === 0,
      )
      r.yes('ingest still running', stack.ingest.child.exitCode === null)
      return r.list
    } finally {
      await sender.close()
      await stack.close()
    }
  },
}
