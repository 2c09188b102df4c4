#!/usr/bin/env node
import { readFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { request } from 'undici'
import { createSimulator } from './simulator.ts'
import type { AppInput } from './world-types.ts'

const USAGE = `zego-sim — a ZEGOCLOUD simulator

  zego-sim serve [--port 0] [--host 127.0.0.1] [--scale 1] [--seed 1]
                 [--app appId[:serverSecret[:callbackSecret[:callbackUrl]]]]... [--form]
                 [--customer-api URL] [--stop-unknown ok|not-found|failed] [--http-status always-200|by-class]
                 [--no-auto-end-mix-stop] [--duplicate F] [--drop F] [--delay F] [--delay-max-ms N]
                 [--omit-abnormal-stop F]

Commands against a running simulator (--sim URL, default $ZEGO_SIM_URL or http://127.0.0.1:4600):
  app-add --app-id N [--server-secret S] [--callback-secret S] [--callback-url U] [--form]
          [--sequence-fencing] [--ownership]
  publish --app-id N --room R --stream S --user U     unpublish --app-id N --stream S [--type 0]
  reconnect --app-id N --stream S                     close-room --app-id N --room R [--reason 0]
  crash --app-id N --task T
  start-mix --app-id N --task T --user U --inputs a,b --outputs o [--room R] [--max-idle S] [--api-base URL]
  stop-mix --app-id N --task T [--user U] [--api-base URL]
  task-info --app-id N --task T [--api-base URL]
  scenario FILE.json [--api-base URL]                 workload --app-id N [--seed N] [--rooms N] [--duration S] [--wait]
  fault --count N [--code C | --kind http --status 503 | --kind delay --ms 10000] [--action A] [--app-id N]
  switches [--set JSON]                               advance --ms N   (manual clock only)
  apps | streams | tasks | ledger | stop-calls | calls | callbacks
`

const options = {
  sim: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  scale: { type: 'string' },
  seed: { type: 'string' },
  app: { type: 'string', multiple: true },
  form: { type: 'boolean' },
  'customer-api': { type: 'string' },
  'stop-unknown': { type: 'string' },
  'http-status': { type: 'string' },
  'no-auto-end-mix-stop': { type: 'boolean' },
  duplicate: { type: 'string' },
  drop: { type: 'string' },
  delay: { type: 'string' },
  'delay-max-ms': { type: 'string' },
  'omit-abnormal-stop': { type: 'string' },
  'app-id': { type: 'string' },
  'server-secret': { type: 'string' },
  'callback-secret': { type: 'string' },
  'callback-url': { type: 'string' },
  'sequence-fencing': { type: 'boolean' },
  ownership: { type: 'boolean' },
  room: { type: 'string' },
  stream: { type: 'string' },
  user: { type: 'string' },
  type: { type: 'string' },
  reason: { type: 'string' },
  task: { type: 'string' },
  inputs: { type: 'string' },
  outputs: { type: 'string' },
  'max-idle': { type: 'string' },
  'api-base': { type: 'string' },
  rooms: { type: 'string' },
  duration: { type: 'string' },
  wait: { type: 'boolean' },
  count: { type: 'string' },
  code: { type: 'string' },
  kind: { type: 'string' },
  status: { type: 'string' },
  action: { type: 'string' },
  set: { type: 'string' },
  ms: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values']

const num = (v: string | undefined): number | undefined => (v === undefined ? undefined : Number(v))
const need = (v: string | undefined, name: string): string => {
  if (v === undefined) throw new Error(`--${name} is required`)
  return v
}

function parseApp(spec: string, form: boolean): AppInput {
  if (spec.trim().startsWith('{')) return JSON.parse(spec) as AppInput
  const [appId, serverSecret, callbackSecret, ...url] = spec.split(':')
  return {
    appId: Number(appId),
    ...(serverSecret ? { serverSecret } : {}),
    ...(callbackSecret ? { callbackSecret } : {}),
    ...(url.length > 0 ? { callbackUrl: url.join(':') } : {}),
    ...(form ? { callbackEncoding: 'form' as const } : {}),
  }
}

async function serve(v: Values): Promise<void> {
  const sim = await createSimulator({
    port: num(v.port) ?? 0,
    host: v.host ?? '127.0.0.1',
    scale: num(v.scale) ?? 1,
    seed: num(v.seed) ?? 1,
    apps: (v.app ?? []).map((spec) => parseApp(spec, v.form ?? false)),
    ...(v['customer-api'] ? { customerApiBaseUrl: v['customer-api'] } : {}),
    api: {
      ...(v['stop-unknown'] ? { stopUnknownTask: v['stop-unknown'] as 'ok' | 'not-found' | 'failed' } : {}),
      ...(v['http-status'] ? { httpStatus: v['http-status'] as 'always-200' | 'by-class' } : {}),
    },
    callbacks: { autoEndSendsMixStop: !v['no-auto-end-mix-stop'] },
    chaos: {
      ...(v.duplicate ? { duplicateFraction: Number(v.duplicate) } : {}),
      ...(v.drop ? { dropFraction: Number(v.drop) } : {}),
      ...(v.delay ? { delayFraction: Number(v.delay) } : {}),
      ...(v['delay-max-ms'] ? { delayMaxMs: Number(v['delay-max-ms']) } : {}),
      ...(v['omit-abnormal-stop'] ? { omitMixStopOnAbnormal: Number(v['omit-abnormal-stop']) } : {}),
    },
  })
  console.log(`zego-sim listening on ${sim.url} (scale ${sim.clock.scale})`)
  for (const app of sim.world.apps()) console.log(JSON.stringify({ app }))
  const stop = (): void => {
    void sim.close().then(() => process.exit(0))
  }
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}

async function call(base: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await request(new URL(`_sim${path}`, base.endsWith('/') ? base : `${base}/`), {
    method: method as 'GET',
    ...(body === undefined
      ? {}
      : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  })
  const json = (await res.body.json()) as unknown
  if (res.statusCode >= 400) throw new Error(`${res.statusCode} ${JSON.stringify(json)}`)
  return json
}

async function command(name: string, v: Values, positionals: string[]): Promise<unknown> {
  const sim = v.sim ?? process.env.ZEGO_SIM_URL ?? 'http://127.0.0.1:4600'
  const appId = num(v['app-id'])
  const apiBaseUrl = v['api-base']
  switch (name) {
    case 'app-add':
      return call(sim, 'POST', '/apps', {
        appId: Number(need(v['app-id'], 'app-id')),
        serverSecret: v['server-secret'],
        callbackSecret: v['callback-secret'],
        callbackUrl: v['callback-url'],
        callbackEncoding: v.form ? 'form' : undefined,
        sequenceFencing: v['sequence-fencing'],
        taskOwnership: v.ownership,
      })
    case 'publish':
      return call(sim, 'POST', '/streams/publish', {
        appId,
        roomId: need(v.room, 'room'),
        streamId: need(v.stream, 'stream'),
        userId: need(v.user, 'user'),
      })
    case 'unpublish':
      return call(sim, 'POST', '/streams/unpublish', {
        appId,
        streamId: need(v.stream, 'stream'),
        type: num(v.type),
      })
    case 'reconnect':
      return call(sim, 'POST', '/streams/reconnect', { appId, streamId: need(v.stream, 'stream') })
    case 'close-room':
      return call(sim, 'POST', '/rooms/close', { appId, roomId: need(v.room, 'room'), reason: num(v.reason) })
    case 'crash':
      return call(sim, 'POST', '/tasks/crash', { appId, taskId: need(v.task, 'task') })
    case 'start-mix': {
      const source = (s: string) => (s.includes('://') ? { StreamUrl: s } : { StreamId: s })
      return call(sim, 'POST', '/customer/start-mix', {
        appId,
        apiBaseUrl,
        request: {
          TaskId: need(v.task, 'task'),
          UserId: need(v.user, 'user'),
          RoomId: v.room,
          MixInput: need(v.inputs, 'inputs').split(',').map(source),
          MixOutput: need(v.outputs, 'outputs').split(',').map(source),
          MaxIdleTime: num(v['max-idle']),
        },
      })
    }
    case 'stop-mix':
      return call(sim, 'POST', '/customer/stop-mix', {
        appId,
        apiBaseUrl,
        request: { TaskId: need(v.task, 'task'), UserId: v.user },
      })
    case 'task-info':
      return call(sim, 'POST', '/customer/get-mix-task-info', {
        appId,
        apiBaseUrl,
        request: { TaskId: need(v.task, 'task') },
      })
    case 'scenario': {
      const steps = JSON.parse(await readFile(need(positionals[0], 'FILE'), 'utf8')) as unknown
      return call(sim, 'POST', '/scenarios', { steps, apiBaseUrl, wait: true })
    }
    case 'workload':
      return call(sim, 'POST', '/workloads', {
        appId,
        seed: num(v.seed),
        rooms: num(v.rooms),
        durationSec: num(v.duration),
        apiBaseUrl,
        wait: v.wait ?? false,
      })
    case 'fault':
      return call(sim, 'POST', '/faults', {
        appId,
        action: v.action,
        kind: v.kind,
        code: num(v.code),
        httpStatus: num(v.status),
        delayMs: num(v.ms),
        count: Number(need(v.count, 'count')),
      })
    case 'switches':
      return v.set ? call(sim, 'PATCH', '/switches', JSON.parse(v.set)) : call(sim, 'GET', '/switches')
    case 'advance':
      return call(sim, 'POST', '/clock/advance', { ms: Number(need(v.ms, 'ms')) })
    case 'apps':
    case 'streams':
    case 'tasks':
    case 'ledger':
    case 'stop-calls':
    case 'calls':
    case 'callbacks':
      return call(sim, 'GET', `/${name}${appId === undefined ? '' : `?appId=${appId}`}`)
    default:
      throw new Error(`unknown command ${name}\n\n${USAGE}`)
  }
}

async function main(argv: string[]): Promise<void> {
  const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true })
  const [name, ...rest] = positionals
  if (values.help || name === undefined) {
    console.log(USAGE)
    return
  }
  if (name === 'serve') return serve(values)
  console.log(JSON.stringify(await command(name, values, rest), null, 2))
}

main(process.argv.slice(2)).catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err)
  process.exit(1)
})
