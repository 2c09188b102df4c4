import { execFile } from 'node:child_process'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { DuckDBInstance } from '@duckdb/node-api'
import { topicName } from '@mixguard/contracts'
import { createKafka } from '@mixguard/kafka'
import { readTopics, runCli, type SavingsReport } from '@mixguard/ops'
import { tget } from '@mixguard/reconciler/core'
import { afterAll, beforeAll, expect, test } from 'vitest'
import { testBrokers } from './kafka.ts'
import { testOutputDir } from './output-dir.ts'
import { type Pipeline, startPipeline } from './pipeline.ts'
import { waitFor } from './wait-for.ts'

// 4 simulated seconds per real second; the orphan grace is 5 simulated seconds. The report takes a
// stop's time from its outcome, written once ZEGO answered: real latency × the scale is its error
// against the ledger, so the scale stays low.
const SCALE = 4
const APP = 4601
// An app whose orphan grace is an hour: its deadline stays armed while the status page is looked at.
const SLOW = 4602
const ORPHAN_MAX_IDLE_SEC = 120

let pipeline: Pipeline
beforeAll(async () => {
  pipeline = await startPipeline({
    scale: SCALE,
    apps: [
      { appId: APP, policy: { graceMs: { normal: 5_000 } } },
      { appId: SLOW, policy: { graceMs: { normal: 3_600_000 } } },
    ],
  })
})
afterAll(() => pipeline?.close())

/** Runs `./mixguard <args>` in-process against this pipeline's topics; resolves with its stdout. */
async function mixguard(...args: string[]): Promise<string> {
  let out = ''
  let err = ''
  const code = await runCli(args, {
    out: (text) => {
      out += text
    },
    err: (text) => {
      err += text
    },
    env: { KAFKA_BROKERS: testBrokers().join(','), TOPIC_PREFIX: pipeline.prefix },
    now: () => pipeline.sim.clock.now(),
    interrupted: Promise.resolve(),
  })
  expect(code, err).toBe(0)
  return out
}

/** The simulated time at which a stream is closed, from the world itself. */
function closedAt(streamId: string): Promise<number> {
  return new Promise((resolve) => {
    const unsubscribe = pipeline.sim.world.subscribe((event) => {
      if (event.type === 'stream_closed' && event.app.appId === APP && event.stream.streamId === streamId) {
        unsubscribe()
        resolve(event.at)
      }
    })
  })
}

async function startMix(task: {
  id: string
  user: string
  room: string
  input: string
  output: string
  maxIdle?: number
}) {
  pipeline.sim.actions.publish({
    appId: APP,
    roomId: task.room,
    streamId: task.input,
    userId: `pub-${task.input}`,
  })
  const started = await pipeline.customer(APP).startMix({
    TaskId: task.id,
    UserId: task.user,
    RoomId: task.room,
    MixInput: [{ StreamId: task.input }],
    MixOutput: [{ StreamId: task.output }],
    ...(task.maxIdle === undefined ? {} : { MaxIdleTime: task.maxIdle }),
  })
  expect(started.ok).toBe(true)
}

const outcomeFor = (taskId: string) =>
  pipeline.outcomes.until(`the StopMix outcome of ${taskId}`, (records) =>
    records.some((r) => {
      const o = JSON.parse(r.value.toString())
      return o.taskId === taskId && o.action === 'StopMix' && o.result === 'stopped'
    }),
  )

test('explain tells the story of an orphan and a supersession, and report counts what they saved as the ledger does', async () => {
  const since = pipeline.sim.clock.now()

  // An orphan: its one input goes; Mixguard stops it after the grace instead of ZEGO after MaxIdleTime.
  await startMix({
    id: 'orphan',
    user: 'host',
    room: 'r-orphan',
    input: 'in-o',
    output: 'out-o',
    maxIdle: ORPHAN_MAX_IDLE_SEC,
  })
  const orphanEnd = pipeline.taskEnded(APP, 'orphan')
  const orphanInputGone = closedAt('in-o')
  pipeline.sim.actions.unpublish({ appId: APP, streamId: 'in-o' })
  expect((await orphanEnd).reason).toBe('stopped')

  // A supersession: a newer task takes the output; ZEGO alone would bill the old one while its input lives.
  const oldEnd = pipeline.taskEnded(APP, 'sup-old')
  await startMix({ id: 'sup-old', user: 'svc-a', room: 'r-a', input: 'in-a', output: 'shared' })
  await startMix({ id: 'sup-new', user: 'svc-b', room: 'r-b', input: 'in-b', output: 'shared' })
  expect((await oldEnd).reason).toBe('stopped')
  // Later its input goes too: from then on ZEGO would have ended it after the default 90 s.
  const oldInputGone = closedAt('in-a')
  pipeline.sim.actions.unpublish({ appId: APP, streamId: 'in-a' })
  const oldInputGoneAt = await oldInputGone
  await Promise.all([outcomeFor('orphan'), outcomeFor('sup-old')])
  // The report reads the close from the topic: wait until it is there.
  const kafka = createKafka({ brokers: testBrokers(), clientId: 'observe-test' })
  const events = topicName('events', pipeline.prefix)
  for (;;) {
    const records = await readTopics(kafka, [events])
    if (
      records.some(
        (r) =>
          r.value?.toString().includes('"streamId":"in-a"') && r.value.toString().includes('stream_closed'),
      )
    ) {
      // Records carry type, version and id headers, and their timestamp is ZEGO's time of the close.
      const close = records.find(
        (r) => r.value?.toString().includes('"stream_closed"') && r.value.toString().includes('"in-a"'),
      )
      expect(close?.headers['mixguard-type']).toBe('event')
      expect(close?.headers['mixguard-schema-version']).toBe('1')
      expect(close?.headers['mixguard-id']).toBe(JSON.parse(close?.value?.toString() ?? '{}').id)
      expect(close?.timestamp).toBe(oldInputGoneAt)
      break
    }
  }

  const orphan = await mixguard('explain', String(APP), 'orphan')
  expect(orphan).toContain('StartMix by host in room r-orphan: inputs [in-o]')
  expect(orphan).toContain('input in-o gone (stream_close type 0)')
  expect(orphan).toMatch(/decision stop, reason orphaned, rule grace:normal/)
  expect(orphan).toMatch(/outcome StopMix: stopped/)
  expect(orphan.trim().split('\n').at(-1)).toMatch(
    /^Stopped by Mixguard at \S+: every input had been gone for its grace \(orphaned\) \(rule grace:normal\S*\); StopMix succeeded\.$/,
  )
  const superseded = await mixguard('explain', String(APP), 'sup-old')
  expect(superseded).toMatch(/decision stop, reason superseded, rule shared_output: superseded by sup-new/)
  expect(superseded.trim().split('\n').at(-1)).toMatch(
    /^Stopped by Mixguard at \S+: a newer task, sup-new, publishes the same output \(superseded\) \(rule shared_output\); StopMix succeeded\.$/,
  )
  const newer = await mixguard('explain', String(APP), 'sup-new')
  expect(newer.trim().split('\n').at(-1)).toMatch(/^Still running: its inputs are live \(in-b\)/)
  console.warn(`${orphan}\n${superseded}`)

  const svg = join(await testOutputDir(), 'savings.svg')
  const report: SavingsReport = JSON.parse(
    await mixguard('report', '--app', String(APP), '--since', String(since), '--json', '--svg', svg),
  )
  expect(report.apps).toHaveLength(1)
  expect(report.apps[0]?.stoppedByReason).toEqual({ orphaned: 1, superseded: 1 })
  const now = pipeline.sim.clock.now()
  const ledger = (taskId: string) => pipeline.sim.ledger.task(APP, taskId, now)
  const orphanLedger = ledger('orphan')
  const oldLedger = ledger('sup-old')
  // What ZEGO alone would have billed beyond what it did: idle until MaxIdleTime after the inputs went.
  const expected = {
    orphan: ORPHAN_MAX_IDLE_SEC - (orphanLedger?.idleSec ?? Number.NaN),
    'sup-old': (oldInputGoneAt + 90_000 - (oldLedger?.endedAt ?? Number.NaN)) / 1000,
  }
  void (await orphanInputGone)
  for (const task of report.apps[0]?.tasks ?? []) {
    expect(Math.abs(task.avoidedSec - expected[task.taskId as keyof typeof expected])).toBeLessThanOrEqual(1)
  }
  console.warn(
    `avoided mix-seconds: report ${report.apps[0]?.tasks.map((t) => `${t.taskId} ${t.avoidedSec.toFixed(2)}`).join(', ')}; ledger orphan ${expected.orphan.toFixed(2)}, sup-old ${expected['sup-old'].toFixed(2)}`,
  )
  expect(await readFile(svg, 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*Mix-seconds avoided/)
  const text = await mixguard('report', '--app', String(APP), '--since', String(since))
  expect(text).toContain('2 task(s) stopped (orphaned 1, superseded 1)')
  expect(text).toContain('Model:')
})

/** Debian's chromium, headless (installed by scripts/bootstrap.sh when missing; never a browser download). */
async function chromium(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--hide-scrollbars', ...args],
    { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  )
  return stdout
}

test('the status page shows apps, running tasks, armed deadlines, recent decisions and outcomes, and savings', async () => {
  // Runs after the story above: its decisions, outcomes and stops are on the page too.
  pipeline.sim.actions.publish({ appId: SLOW, roomId: 'r-slow', streamId: 'in-slow', userId: 'p' })
  const started = await pipeline.customer(SLOW).startMix({
    TaskId: 'waiting',
    UserId: 'host',
    RoomId: 'r-slow',
    MixInput: [{ StreamId: 'in-slow' }],
    MixOutput: [{ StreamId: 'out-slow' }],
  })
  expect(started.ok).toBe(true)
  pipeline.sim.actions.unpublish({ appId: SLOW, streamId: 'in-slow' })
  const reconciler = pipeline.reconcilers[0]
  if (reconciler === undefined) throw new Error('no reconciler')
  // No event says "deadline armed": look at the reconciler's state.
  await waitFor('the orphan deadline of task waiting', () =>
    [...reconciler.shell.apps()].some(
      (a) => a.appId === SLOW && (tget(a.state.tasks, 'waiting')?.due.stopAt ?? null) !== null,
    ),
  )

  // explain adds what the running reconciler holds now: the armed deadline, the gone input.
  const explained = await mixguard('explain', String(SLOW), 'waiting', '--reconciler', reconciler.url)
  expect(explained.trim().split('\n').at(-2)).toMatch(/^Still running: every input has been gone since/)
  expect(explained.trim().split('\n').at(-1)).toMatch(
    /^Now, per the reconciler at http:\/\/127\.0\.0\.1:\d+: running; inputs in-slow gone; armed: stop[^;]* at \S+ \(3\d\d\d s from now\)/,
  )

  const url = `${reconciler.url}status`
  const html = await chromium('--dump-dom', url)
  expect(html).toContain('<h1>Mixguard reconciler</h1>')
  expect(html).toMatch(/App 4601[\s\S]*App 4602/)
  // Running tasks with inputs and liveness.
  expect(html).toMatch(/<td>sup-new<\/td><td>running<\/td>[\s\S]*?in-b: live/)
  expect(html).toMatch(/<td>waiting<\/td><td>running<\/td>[\s\S]*?in-slow: gone/)
  // The armed deadline counts down (the page refreshes itself).
  expect(html).toMatch(
    /<td>waiting<\/td><td>stop[^<]*<\/td><td>[^<]+<\/td><td class="countdown">in (59|60) min/,
  )
  // Recent decisions and outcomes with their reasons.
  expect(html).toMatch(
    /<td>sup-old<\/td><td>stop<\/td><td>superseded<\/td><td>shared_output<\/td><td>by sup-new<\/td>/,
  )
  expect(html).toMatch(/<td>orphan<\/td><td>stop<\/td><td>orphaned<\/td>/)
  expect(html).toMatch(/<td>sup-old<\/td><td>StopMix<\/td><td>stopped<\/td>/)
  expect(html).toMatch(/ZEGO budget: \d+ call\(s\) in the last minute, limit 80\/s, 0 waiting/)
  // Savings, with the chart.
  expect(html).toMatch(/app 4601: 2 stopped/)
  expect(html).toMatch(/<svg [^>]*aria-label="Mix-seconds avoided/)
  expect(html).not.toContain('<script')

  const screenshot = join(await testOutputDir(), 'status-page.png')
  await chromium(`--screenshot=${screenshot}`, '--window-size=1280,2000', url)
  expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG')

  // Read-only and local: nothing but GET, and a non-loopback client would get 403 (see http.test.ts).
  const post = await fetch(url, { method: 'POST' })
  expect(post.status).toBe(404)
})

test("the README's analytics query runs as written in DuckDB over the exported topics", async () => {
  // Runs after the story above: two stops of app 4601 are on the topics.
  const dir = join(await testOutputDir(), 'analytics')
  await mkdir(dir, { recursive: true })
  await writeFile(join(dir, 'decisions.jsonl'), await mixguard('export', 'decisions'))
  await writeFile(join(dir, 'outcomes.jsonl'), await mixguard('export', 'outcomes'))
  const sql = await readFile(
    new URL('../packages/ops/analytics/stops-by-reason.sql', import.meta.url),
    'utf8',
  )
  const db = await DuckDBInstance.create(':memory:')
  const connection = await db.connect()
  try {
    // The files are named as in the README, relative to where duckdb runs: here, the export folder.
    await connection.run(`SET file_search_path = '${dir.replaceAll("'", "''")}'`)
    const rows = (await connection.runAndReadAll(sql)).getRowObjectsJson()
    expect(rows).toEqual([
      { app_id: '4601', reason: 'orphaned', tasks_stopped: '1', median_seconds_to_stop: expect.any(Number) },
      {
        app_id: '4601',
        reason: 'superseded',
        tasks_stopped: '1',
        median_seconds_to_stop: expect.any(Number),
      },
    ])
  } finally {
    connection.closeSync()
    db.closeSync()
  }
})
