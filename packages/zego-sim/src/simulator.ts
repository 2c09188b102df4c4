import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CallBudget } from '@mixguard/zego-api'
import express from 'express'
import type { Dispatcher } from 'undici'
import { createActions, type SimActions } from './actions.ts'
import { createZegoApiRouter } from './api.ts'
import { type CallbackSender, createCallbackSender } from './callbacks.ts'
import { createScaledClock, type SimClock, type SimTimer, systemWallClock, type WallClock } from './clock.ts'
import { createControlRouter } from './control.ts'
import { type Customer, createCustomer } from './customer.ts'
import { createLedger, type Ledger } from './ledger.ts'
import { deriveSeed, seededRandom } from './random.ts'
import { runScenario, type ScenarioStep, type StepOutcome } from './scenario.ts'
import { createFaults, createSwitches, type Faults, type Switches, type SwitchesInput } from './switches.ts'
import { createWorld, type World } from './world.ts'
import type { AppInput, LifetimeRules } from './world-types.ts'

export interface SimulatorOptions extends SwitchesInput {
  /** 0 (default) picks a free port. */
  port?: number
  host?: string
  /** A clock to drive (e.g. `createManualClock()` in tests); otherwise a scaled clock at `scale`. */
  clock?: SimClock
  /** Simulated seconds per real second, when no clock is given. Default 1. */
  scale?: number
  /** Real time for signatures, callback timestamps and rate limits. */
  wallClock?: WallClock
  /** Seeds chaos, callback nonces and workloads. Default 1. */
  seed?: number
  apps?: AppInput[]
  rules?: Partial<LifetimeRules>
  /** Where the simulated customer sends StartMix/StopMix. Default: this simulator. */
  customerApiBaseUrl?: string
  /** Shared call budget for the customer's clients (default: zego-api's 80/s per client). */
  customerBudget?: CallBudget
  callbackTimeoutMs?: number
  callbackRetryScheduleMs?: readonly number[]
  callbackDispatcher?: Dispatcher
}

export interface Simulator {
  /** Base URL of both the ZEGO API (`/?Action=…`) and the control surface (`/_sim/…`), with a trailing slash. */
  url: string
  port: number
  clock: SimClock
  world: World
  ledger: Ledger
  callbacks: CallbackSender
  switches: Switches
  faults: Faults
  /** World operations at the clock's current time. */
  actions: SimActions
  customer: Customer
  runScenario(steps: readonly ScenarioStep[], options?: { apiBaseUrl?: string }): Promise<StepOutcome[]>
  /** Stops every timer, the callback sender, the customer's clients and the server. */
  close(): Promise<void>
}

/** Arms one timer for the world's next deadline, re-armed after every world event. */
function driveDeadlines(world: World, clock: SimClock): () => void {
  let timer: SimTimer | undefined
  let stopped = false
  const sync = (): void => {
    const next = world.nextDeadline()
    if (timer !== undefined && timer.dueAt === next) return
    if (timer !== undefined) clock.clearTimer(timer)
    timer = undefined
    if (next === undefined || stopped) return
    timer = clock.setTimer(next - clock.now(), () => {
      timer = undefined
      world.advance(clock.now())
      sync()
    })
  }
  const unsubscribe = world.subscribe(sync)
  return () => {
    stopped = true
    unsubscribe()
    if (timer !== undefined) clock.clearTimer(timer)
  }
}

export async function createSimulator(options: SimulatorOptions = {}): Promise<Simulator> {
  const clock = options.clock ?? createScaledClock({ scale: options.scale ?? 1 })
  const wallClock = options.wallClock ?? systemWallClock
  const seed = options.seed ?? 1
  const switches = createSwitches(options)
  const faults = createFaults()
  const world = createWorld({ rules: options.rules })
  const ledger = createLedger()
  const callbacks = createCallbackSender({
    clock,
    wallClock,
    random: seededRandom(deriveSeed(seed, 'chaos')),
    nonceRandom: seededRandom(deriveSeed(seed, 'nonce')),
    chaos: switches.chaos,
    switches: switches.callbacks,
    ...(options.callbackRetryScheduleMs ? { retryScheduleMs: options.callbackRetryScheduleMs } : {}),
    ...(options.callbackTimeoutMs ? { timeoutMs: options.callbackTimeoutMs } : {}),
    ...(options.callbackDispatcher ? { dispatcher: options.callbackDispatcher } : {}),
  })
  // The ledger sees every event before the sender, so books are right when a callback arrives.
  world.subscribe((e) => ledger.apply(e))
  world.subscribe((e) => callbacks.handle(e))
  const stopDeadlines = driveDeadlines(world, clock)
  for (const app of options.apps ?? []) world.addApp(app)

  let selfUrl = ''
  const customer = createCustomer({
    world,
    apiBaseUrl: () => options.customerApiBaseUrl ?? selfUrl,
    ...(options.customerBudget ? { budget: options.customerBudget } : {}),
  })
  const actions = createActions(world, clock)
  const closing = new AbortController()

  const app = express()
  app.disable('x-powered-by')
  app.use(
    '/_sim',
    createControlRouter({
      world,
      ledger,
      callbacks,
      clock,
      wallClock,
      switches,
      faults,
      actions,
      customer,
      signal: closing.signal,
      random: seededRandom(deriveSeed(seed, 'workload')),
    }),
  )
  app.use(createZegoApiRouter({ world, ledger, clock, wallClock, switches, faults }))

  const server: Server = await new Promise((resolve, reject) => {
    const s = app.listen(options.port ?? 0, options.host ?? '127.0.0.1', (err?: Error) =>
      err ? reject(err) : resolve(s),
    )
  })
  const { port, address } = server.address() as AddressInfo
  const host = address.includes(':') ? `[${address}]` : address
  selfUrl = `http://${host}:${port}/`

  return {
    url: selfUrl,
    port,
    clock,
    world,
    ledger,
    callbacks,
    switches,
    faults,
    actions,
    customer,
    runScenario: (steps, runOptions = {}) =>
      runScenario(steps, {
        clock,
        actions,
        customer,
        apiBaseUrl: runOptions.apiBaseUrl,
        signal: closing.signal,
      }),
    async close() {
      closing.abort(new Error('simulator closed'))
      stopDeadlines()
      await callbacks.close()
      await customer.close()
      // A clock we made is ours to stop; a clock passed in belongs to the caller (our timers are already cleared).
      if (options.clock === undefined) clock.dispose()
      await new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
    },
  }
}
