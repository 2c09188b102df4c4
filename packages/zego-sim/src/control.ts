import express, { type NextFunction, type Request, type Response, type Router } from 'express'
import { z } from 'zod'
import type { SimActions } from './actions.ts'
import type { CallbackEventName } from './callback-payloads.ts'
import type { CallbackSender, DeliveryStatus } from './callbacks.ts'
import type { ManualClock, SimClock, WallClock } from './clock.ts'
import { type Customer, summarizeOutcome } from './customer.ts'
import { SimError, SimErrorCode, simErrorStatus } from './errors.ts'
import type { Ledger } from './ledger.ts'
import { type Random, seededRandom } from './random.ts'
import { runScenario, Scenario, type StepOutcome } from './scenario.ts'
import { type Faults, MAX_FAULT_DELAY_MS, patchSwitches, type Switches } from './switches.ts'
import { generateWorkload } from './workload.ts'
import type { World } from './world.ts'

/** The simulator's own control surface under `/_sim`: JSON in, JSON out, errors as `{ error: { code, message } }`. */

export interface ControlDeps {
  world: World
  ledger: Ledger
  callbacks: CallbackSender
  clock: SimClock
  wallClock: WallClock
  switches: Switches
  faults: Faults
  actions: SimActions
  customer: Customer
  /** Runs of scenarios started without waiting; aborted on close. */
  signal: AbortSignal
  /** Seeds a workload when the request gives none. */
  random: Random
}

const AppIdParam = z.coerce.number().int().positive()
const optionalAppId = (q: unknown) => z.object({ appId: AppIdParam.optional() }).parse(q).appId

const AppBody = z.object({
  appId: z.number().int().positive().max(0xffffffff),
  serverSecret: z.string().min(1).optional(),
  callbackSecret: z.string().min(1).optional(),
  callbackUrl: z.url().optional(),
  callbackEncoding: z.enum(['json', 'form']).optional(),
  sequenceFencing: z.boolean().optional(),
  taskOwnership: z.boolean().optional(),
  mixEnabled: z.boolean().optional(),
})
const AppPatch = AppBody.omit({ appId: true }).extend({ callbackUrl: z.url().nullable().optional() })
const Publish = z.object({
  appId: z.number().int(),
  roomId: z.string().min(1),
  streamId: z.string().min(1),
  userId: z.string().min(1),
  userName: z.string().optional(),
})
const Unpublish = z.object({
  appId: z.number().int(),
  streamId: z.string().min(1),
  type: z.literal([0, 1, 2, 3, 4, 5, 100]).optional(),
})
const StreamRef = z.object({ appId: z.number().int(), streamId: z.string().min(1) })
const CloseRoom = z.object({
  appId: z.number().int(),
  roomId: z.string().min(1),
  reason: z.number().int().optional(),
})
const TaskRef = z.object({ appId: z.number().int(), taskId: z.string().min(1) })
const Fault = z.object({
  appId: z.number().int().optional(),
  action: z.string().optional(),
  kind: z.enum(['code', 'http', 'delay']).optional(),
  code: z.number().int().optional(),
  httpStatus: z.number().int().min(400).max(599).optional(),
  delayMs: z.number().int().min(0).max(MAX_FAULT_DELAY_MS).optional(),
  count: z.number().int().positive(),
})
const SwitchPatch = z.object({
  api: z
    .object({
      stopUnknownTask: z.enum(['ok', 'not-found', 'failed']),
      httpStatus: z.enum(['always-200', 'by-class']),
      ratePerSecond: z.number().positive(),
      streamListRatePerSecond: z.number().positive(),
      streamListRoomIntervalMs: z.number().min(0),
      signatureMaxSkewSec: z.number().min(0),
    })
    .partial()
    .optional(),
  callbacks: z.object({ autoEndSendsMixStop: z.boolean() }).partial().optional(),
  chaos: z
    .object({
      duplicateFraction: z.number().min(0).max(1),
      dropFraction: z.number().min(0).max(1),
      delayFraction: z.number().min(0).max(1),
      delayMaxMs: z.number().min(0),
      omitMixStopOnAbnormal: z.number().min(0).max(1),
    })
    .partial()
    .optional(),
})
const CustomerCall = z.object({
  appId: z.number().int().positive(),
  apiBaseUrl: z.url().optional(),
  request: z.record(z.string(), z.unknown()),
})
const ScenarioRun = z.object({
  steps: Scenario,
  apiBaseUrl: z.url().optional(),
  wait: z.boolean().default(true),
})
const WorkloadRun = z.object({
  appId: z.number().int().positive(),
  seed: z.number().int().optional(),
  rooms: z.number().int().positive().optional(),
  durationSec: z.number().positive().optional(),
  maxCoHostSessions: z.number().int().min(0).optional(),
  supersedeWithoutStop: z.number().min(0).max(1).optional(),
  sameOutputSupersede: z.number().min(0).max(1).optional(),
  forgetStop: z.number().min(0).max(1).optional(),
  reconnects: z.number().min(0).max(1).optional(),
  closeRooms: z.boolean().optional(),
  apiBaseUrl: z.url().optional(),
  wait: z.boolean().default(false),
})

type Handler = (req: Request) => unknown | Promise<unknown>

const isManual = (clock: SimClock): clock is ManualClock => 'advance' in clock

export function createControlRouter(deps: ControlDeps): Router {
  const { world, ledger, callbacks, clock, wallClock, switches, faults, actions, customer } = deps
  const router = express.Router()
  router.use(express.json({ limit: '10mb' }))
  const runs = new Map<
    number,
    { status: 'running' | 'done' | 'failed'; steps: number; outcomes?: StepOutcome[]; error?: string }
  >()
  let nextRun = 1

  const route = (method: 'get' | 'post' | 'patch' | 'delete', path: string, handler: Handler): void => {
    router[method](path, async (req: Request, res: Response, next: NextFunction) => {
      try {
        res.json((await handler(req)) ?? { ok: true })
      } catch (err) {
        next(err)
      }
    })
  }

  const startRun = (
    steps: z.infer<typeof Scenario>,
    apiBaseUrl: string | undefined,
  ): { id: number; done: Promise<void> } => {
    const id = nextRun++
    runs.set(id, { status: 'running', steps: steps.length })
    const done = runScenario(steps, { clock, actions, customer, apiBaseUrl, signal: deps.signal }).then(
      (outcomes) => void runs.set(id, { status: 'done', steps: steps.length, outcomes }),
      (err: unknown) => void runs.set(id, { status: 'failed', steps: steps.length, error: String(err) }),
    )
    return { id, done }
  }

  route('get', '/health', () => ({ ok: true }))
  route('get', '/clock', () => ({
    now: clock.now(),
    scale: clock.scale,
    manual: isManual(clock),
    wallNow: wallClock.now(),
  }))
  route('post', '/clock/advance', (req) => {
    const { ms } = z.object({ ms: z.number().min(0) }).parse(req.body)
    if (!isManual(clock))
      throw new SimError(SimErrorCode.ClockNotManual, 'only a manual clock can be advanced')
    clock.advance(ms)
    return { now: clock.now() }
  })

  route('get', '/apps', () => world.apps())
  route('post', '/apps', (req) => world.addApp(AppBody.parse(req.body)))
  route('patch', '/apps/:appId', (req) => {
    const { callbackUrl, ...rest } = AppPatch.parse(req.body)
    const patch = callbackUrl === undefined ? rest : { ...rest, callbackUrl: callbackUrl ?? undefined }
    return world.updateApp(AppIdParam.parse(req.params.appId), patch)
  })

  route('get', '/streams', (req) => world.streams(optionalAppId(req.query)))
  route('get', '/rooms', (req) => world.rooms(optionalAppId(req.query)))
  route('post', '/streams/publish', (req) => actions.publish(Publish.parse(req.body)))
  route('post', '/streams/unpublish', (req) => actions.unpublish(Unpublish.parse(req.body)))
  route('post', '/streams/reconnect', (req) => actions.reconnect(StreamRef.parse(req.body)))
  route('post', '/rooms/close', (req) => actions.closeRoom(CloseRoom.parse(req.body)))
  route('post', '/tasks/crash', (req) => actions.crashTask(TaskRef.parse(req.body)))

  route('get', '/tasks', (req) => world.tasks(optionalAppId(req.query)))
  route('get', '/ledger', (req) => {
    const appId = optionalAppId(req.query)
    return { totals: ledger.totals(clock.now()), tasks: ledger.tasks(clock.now(), appId) }
  })
  route('get', '/stop-calls', (req) => ledger.stopCalls(optionalAppId(req.query)))
  route('get', '/calls', (req) => {
    const { action } = z.object({ action: z.string().optional() }).parse(req.query)
    return ledger.calls(optionalAppId(req.query)).filter((c) => action === undefined || c.action === action)
  })
  route('get', '/callbacks', (req) => {
    const q = z.object({ event: z.string().optional(), status: z.string().optional() }).parse(req.query) as {
      event?: CallbackEventName
      status?: DeliveryStatus
    }
    return callbacks.deliveries({ appId: optionalAppId(req.query), ...q })
  })

  route('get', '/switches', () => switches)
  route('patch', '/switches', (req) => patchSwitches(switches, SwitchPatch.parse(req.body)))
  route('get', '/faults', () => faults.list())
  route('post', '/faults', (req) => faults.add(Fault.parse(req.body)))
  route('delete', '/faults', () => faults.clear())

  const customerRoute = (
    path: string,
    call: (appId: number, base: string | undefined, request: never) => Promise<never>,
  ) =>
    route('post', path, async (req) => {
      const { appId, apiBaseUrl, request } = CustomerCall.parse(req.body)
      return summarizeOutcome(await call(appId, apiBaseUrl, request as never))
    })
  customerRoute('/customer/start-mix', (a, b, r) => customer.client(a, b).startMix(r) as Promise<never>)
  customerRoute('/customer/stop-mix', (a, b, r) => customer.client(a, b).stopMix(r) as Promise<never>)
  customerRoute(
    '/customer/get-mix-task-info',
    (a, b, r) => customer.client(a, b).getMixTaskInfo(r) as Promise<never>,
  )
  customerRoute(
    '/customer/start-auto-mix',
    (a, b, r) => customer.client(a, b).startAutoMix(r) as Promise<never>,
  )
  customerRoute(
    '/customer/stop-auto-mix',
    (a, b, r) => customer.client(a, b).stopAutoMix(r) as Promise<never>,
  )

  route('post', '/scenarios', async (req) => {
    const { steps, apiBaseUrl, wait } = ScenarioRun.parse(req.body)
    const run = startRun(steps, apiBaseUrl)
    if (wait) await run.done
    return { id: run.id, ...runs.get(run.id) }
  })
  route('post', '/workloads', async (req) => {
    const { seed, apiBaseUrl, wait, ...options } = WorkloadRun.parse(req.body)
    const random = seed === undefined ? deps.random : seededRandom(seed)
    const steps = generateWorkload(options, random)
    const run = startRun(steps, apiBaseUrl)
    if (wait) await run.done
    return { id: run.id, ...runs.get(run.id) }
  })
  route('get', '/scenarios/:id', (req) => {
    const run = runs.get(Number(req.params.id))
    if (run === undefined) throw new SimError(SimErrorCode.BadRequest, `no scenario run ${req.params.id}`)
    return run
  })

  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof SimError)
      return res.status(simErrorStatus(err.code)).json({ error: { code: err.code, message: err.message } })
    if (err instanceof z.ZodError)
      return res.status(400).json({ error: { code: SimErrorCode.BadRequest, message: z.prettifyError(err) } })
    const status = typeof err === 'object' && err !== null && 'status' in err ? Number(err.status) : 500
    return res.status(status).json({ error: { code: 'SIM_INTERNAL', message: String(err) } })
  })
  return router
}
