import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import {
  appKey,
  decodeDecision,
  decodeOutcome,
  encodeEvent,
  eventRecordMetadata,
  topicName,
} from '@mixguard/contracts'
import { createIdempotentProducer, createKafka, type Kafka } from '@mixguard/kafka'
import { loadOpsConfig, type OpsConfig } from './config.ts'
import { describeCurrentState } from './current-state.ts'
import { deadLetterLine, planRedrive } from './dead-letters.ts'
import { type History, historyTopics, toHistory } from './history.ts'
import { reportText } from './report-text.ts'
import { savingsReport } from './savings.ts'
import { savingsSvg } from './savings-svg.ts'
import { parseTimeArg } from './time-arg.ts'
import { explainTask } from './timeline.ts'
import { followTopics, type RawRecord, readTopics } from './topic-reader.ts'

export interface CliIo {
  out(text: string): void
  err(text: string): void
  env: Readonly<Record<string, string | undefined>>
  now(): number
  /** Resolves when the user wants a running `tail` to end (Ctrl-C). */
  interrupted: Promise<void>
}

const HELP: Record<string, string> = {
  main: `usage: mixguard <command> [options]   (Kafka: KAFKA_BROKERS, TOPIC_PREFIX, as for the services)

  explain <appId> <taskId>   the task's timeline from the topics and why it was stopped or still runs
  tail                       decisions and outcomes as they land
  dead-letter list|redrive   records that could not be used, and sending them again after a fix
  report                     tasks stopped per app and the mix-seconds that avoided
  export <topic>             a topic's values as JSON lines, for analytics (DuckDB, jq, …)

Each command takes --help.`,
  explain: `usage: mixguard explain <appId> <taskId> [--json] [--reconciler URL]

Reads the events, decisions and outcomes topics to their current end and prints the task's timeline:
StartMix calls and inputs, callbacks for its inputs and rooms, orphan graces starting and cancelled,
stream-list confirmations, decisions with rule and evidence, outcomes. The last line says why the task
was stopped, or why it is still running. --json prints { entries, verdict }. --reconciler URL (a
reconciler's admin address, e.g. http://127.0.0.1:8081) adds what it holds now: phase, inputs' liveness,
armed deadlines.`,
  tail: `usage: mixguard tail [--app ID] [--since DURATION] [--json]

Prints decisions and outcomes as they land, one line each, until Ctrl-C. --since 10m starts with the
last ten minutes (by record time). --json prints the values as JSON lines.`,
  'dead-letter': `usage: mixguard dead-letter list [--app ID] [--since DURATION] [--json]
       mixguard dead-letter redrive (<id>… | --all) [--app ID] [--since DURATION] [--dry-run]

list: every dead letter with its id, time, app, source and reason.
redrive: after a fix, turns the selected dead letters into events again with the current code (an
authentic callback ingest could not parse is parsed again; an events record the reconciler could not
decode is decoded again) and appends them to the events topic. Ids may be given by prefix. Those that
still fail are listed with the reason and left where they are. Re-driving twice is harmless: the event
id is content-derived and the reconciler applies an event once.`,
  export: `usage: mixguard export events|decisions|outcomes|dead-letter [--app ID] [--since T] [--until T]

Prints every value of the topic, one JSON object a line, in Kafka order per partition; --since and
--until filter on the record time (the business time: ZEGO's for events, decidedAt for decisions, …).
The values follow packages/contracts/schemas/. Example: mixguard export decisions > decisions.jsonl`,
  report: `usage: mixguard report [--since 24h] [--until TIME] [--app ID] [--json] [--svg FILE]

Per app: tasks Mixguard stopped in the window by reason, and the mix-seconds it avoided against what
ZEGO alone would have billed (the model is printed with the report). --since/--until take a duration
before now (90s, 30m, 24h, 7d), an ISO date or epoch ms. --json prints the report as JSON; --svg FILE
writes a chart of avoided mix-seconds over time.`,
}

/** Runs one command; returns the exit code (0 ok, 1 failed, 2 usage). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    io.out(`${HELP.main}\n`)
    return command === undefined ? 2 : 0
  }
  const help = HELP[command]
  if (help === undefined) {
    io.err(`unknown command ${JSON.stringify(command)}\n\n${HELP.main}\n`)
    return 2
  }
  let args: ReturnType<typeof parse>
  try {
    args = parse(rest)
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${help}\n`)
    return 2
  }
  if (args.values.help) {
    io.out(`${help}\n`)
    return 0
  }
  const loaded = loadOpsConfig(io.env)
  if (!loaded.ok) {
    io.err(`${loaded.message}\n`)
    return 2
  }
  const kafka = createKafka({
    brokers: loaded.config.brokers,
    clientId: loaded.config.clientId,
    security: loaded.config.security,
  })
  const usage = (message: string) => {
    io.err(`${message}\n\n${help}\n`)
    return 2
  }
  const appArg = args.values.app
  const appId = appArg === undefined ? undefined : Number(appArg)
  if (appId !== undefined && !(Number.isInteger(appId) && appId > 0))
    return usage(`--app ${appArg} is not an AppID`)
  const now = io.now()
  const since = args.values.since === undefined ? undefined : parseTimeArg(args.values.since, now)
  if (since === null) return usage(`--since ${args.values.since} is not a duration or a time`)
  const until = args.values.until === undefined ? now : parseTimeArg(args.values.until, now)
  if (until === null) return usage(`--until ${args.values.until} is not a duration or a time`)
  const history = () => readHistory(kafka, loaded.config)

  switch (command) {
    case 'explain': {
      const [app, task] = args.positionals
      const id = Number(app)
      if (task === undefined || !(Number.isInteger(id) && id > 0))
        return usage('explain needs <appId> <taskId>')
      const timeline = explainTask(await history(), id, task)
      const reconciler = args.values.reconciler
      const current = reconciler === undefined ? null : await currentState(reconciler, id, task)
      if (args.values.json) io.out(`${JSON.stringify({ ...timeline, current }, null, 2)}\n`)
      else {
        io.out(`task ${task} of app ${id}\n`)
        for (const entry of timeline.entries) io.out(`${new Date(entry.at).toISOString()}  ${entry.text}\n`)
        io.out(`\n${timeline.verdict}\n`)
        if (current !== null) io.out(`${current}\n`)
      }
      return 0
    }
    case 'report': {
      const report = savingsReport(await history(), {
        since: since ?? now - 24 * 3_600_000,
        until,
        ...(appId === undefined ? {} : { appId }),
      })
      if (args.values.svg !== undefined) await writeFile(args.values.svg, savingsSvg(report))
      io.out(args.values.json ? `${JSON.stringify(report, null, 2)}\n` : reportText(report))
      return 0
    }
    case 'export': {
      const [logical] = args.positionals
      if (
        logical !== 'events' &&
        logical !== 'decisions' &&
        logical !== 'outcomes' &&
        logical !== 'dead-letter'
      )
        return usage('export needs a topic: events, decisions, outcomes or dead-letter')
      for (const record of await readTopics(kafka, [topicName(logical, loaded.config.topicPrefix)])) {
        if (record.value === null) continue
        if (since !== undefined && record.timestamp < since) continue
        if (record.timestamp > until) continue
        if (appId !== undefined && record.key !== String(appId)) continue
        io.out(`${record.value.toString('utf8')}\n`)
      }
      return 0
    }
    case 'tail':
      return tail(kafka, loaded.config, io, { appId, since, json: args.values.json === true })
    case 'dead-letter': {
      const [action, ...ids] = args.positionals
      const entries = (await history()).deadLetters.filter(
        (e) =>
          (appId === undefined || e.deadLetter.appId === appId) &&
          (since === undefined || e.deadLetter.receivedAt >= since),
      )
      if (action === 'list') {
        if (args.values.json) io.out(`${JSON.stringify(entries, null, 2)}\n`)
        else {
          for (const entry of entries) io.out(`${deadLetterLine(entry)}\n`)
          io.out(`${entries.length} dead letter(s)\n`)
        }
        return 0
      }
      if (action !== 'redrive') return usage('dead-letter needs list or redrive')
      if (ids.length === 0 && !args.values.all) return usage('redrive needs ids or --all')
      const selected = args.values.all
        ? entries
        : entries.filter((e) => ids.some((id) => e.id.startsWith(id)))
      const plans = selected.map(planRedrive)
      const ready = plans.flatMap((p) => (p.ok ? [p] : []))
      for (const plan of plans)
        io.out(
          `${plan.entry.id.slice(0, 16)}  ${plan.ok ? `${args.values['dry-run'] ? 'would re-drive' : 're-driven'} as ${plan.event.type} ${plan.event.id.slice(0, 12)}` : plan.reason}\n`,
        )
      if (!args.values['dry-run'] && ready.length > 0) {
        const producer = createIdempotentProducer(kafka)
        await producer.connect()
        try {
          await producer.send({
            topic: topicName('events', loaded.config.topicPrefix),
            acks: -1,
            messages: ready.map(({ event, entry }) => {
              const metadata = eventRecordMetadata(event)
              return {
                key: appKey(event.appId),
                value: encodeEvent(event),
                timestamp: metadata.timestamp,
                headers: { ...metadata.headers, 'mixguard-redriven-from': entry.id },
              }
            }),
          })
        } finally {
          await producer.disconnect()
        }
      }
      io.out(`${ready.length} of ${plans.length} ${args.values['dry-run'] ? 'can be' : 'were'} re-driven\n`)
      return ready.length === plans.length ? 0 : 1
    }
    default:
      return usage(`unknown command ${command}`)
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      app: { type: 'string' },
      since: { type: 'string' },
      until: { type: 'string' },
      svg: { type: 'string' },
      reconciler: { type: 'string' },
      all: { type: 'boolean' },
      'dry-run': { type: 'boolean' },
    },
  })
}

async function currentState(base: string, appId: number, taskId: string): Promise<string> {
  const url = new URL('status.json', base.endsWith('/') ? base : `${base}/`)
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(5_000) })
    if (!answer.ok) return `Now: ${url.origin} answered HTTP ${answer.status} for its status.`
    return describeCurrentState(await answer.json(), appId, taskId, `the reconciler at ${url.origin}`)
  } catch (error) {
    return `Now: the reconciler at ${url.origin} could not be reached (${(error as Error).message}).`
  }
}

export async function readHistory(kafka: Kafka, config: Pick<OpsConfig, 'topicPrefix'>): Promise<History> {
  return toHistory(await readTopics(kafka, historyTopics(config.topicPrefix)), config.topicPrefix)
}

async function tail(
  kafka: Kafka,
  config: OpsConfig,
  io: CliIo,
  options: { appId: number | undefined; since: number | undefined; json: boolean },
): Promise<number> {
  const decisions = topicName('decisions', config.topicPrefix)
  const print = (record: RawRecord) => {
    if (options.since !== undefined && record.timestamp < options.since) return
    const line = tailLine(record, record.topic === decisions, options)
    if (line !== null) io.out(`${line}\n`)
  }
  const follower = await followTopics(kafka, [decisions, topicName('outcomes', config.topicPrefix)], print, {
    fromBeginning: options.since !== undefined,
  })
  io.err('following decisions and outcomes (Ctrl-C to stop)\n')
  await io.interrupted
  await follower.stop()
  return 0
}

/** One decision or outcome as a line; null when filtered out or unreadable. */
export function tailLine(
  record: RawRecord,
  isDecision: boolean,
  options: { appId: number | undefined; json: boolean },
): string | null {
  if (isDecision) {
    const decoded = decodeDecision(record.value)
    if (!decoded.ok || (options.appId !== undefined && decoded.decision.appId !== options.appId)) return null
    const d = decoded.decision
    if (options.json) return JSON.stringify({ decision: d })
    return `${new Date(d.decidedAt).toISOString()}  app ${d.appId}  task ${d.taskId}  decision ${d.action} ${d.reason} rule=${d.rule ?? '-'}${d.evidence.supersededBy ? ` by=${d.evidence.supersededBy}` : ''}${d.evidence.deadline === null ? '' : ` deadline=${new Date(d.evidence.deadline).toISOString()}`}  id=${d.id.slice(0, 12)}`
  }
  const decoded = decodeOutcome(record.value)
  if (!decoded.ok || (options.appId !== undefined && decoded.outcome.appId !== options.appId)) return null
  const o = decoded.outcome
  if (options.json) return JSON.stringify({ outcome: o })
  return `${new Date(o.at).toISOString()}  app ${o.appId}  task ${o.taskId}  outcome ${o.action} ${o.result} attempt=${o.attempt}${o.zegoCode === null ? '' : ` code=${o.zegoCode}`}${o.errorCode === null ? '' : ` error=${o.errorCode}`}  decision=${o.decisionId.slice(0, 12)}`
}
