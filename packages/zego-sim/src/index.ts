export { createActions, type SimActions } from './actions.ts'
export { CALLER_HEADER, createZegoApiRouter, HTTP_FAULT_CODE, httpStatusFor } from './api.ts'
export { ACTIONS, type Action, checkCommonParams } from './api-auth.ts'
export {
  type CallbackEventName,
  type CallbackPayload,
  callbackFor,
  callbackTaskId,
  encodeCallback,
} from './callback-payloads.ts'
export {
  type CallbackSender,
  type CallbackSwitches,
  type ChaosSwitches,
  createCallbackSender,
  type Delivery,
  type DeliveryAttempt,
  type DeliveryStatus,
  defaultChaos,
  ZEGO_RETRY_SCHEDULE_MS,
} from './callbacks.ts'
export {
  createManualClock,
  createScaledClock,
  type ManualClock,
  type SimClock,
  type SimTimer,
  simTimers,
  sleepSim,
  systemWallClock,
  type WallClock,
} from './clock.ts'
export { type Customer, createCustomer, type OutcomeSummary, summarizeOutcome } from './customer.ts'
export { SimError, SimErrorCode } from './errors.ts'
export {
  type ApiCallRecord,
  createLedger,
  type Ledger,
  type LedgerTotals,
  type TaskLedgerEntry,
} from './ledger.ts'
export { type Random, seededRandom } from './random.ts'
export { runScenario, Scenario, ScenarioStep, type StepOutcome } from './scenario.ts'
export { createSimulator, type Simulator, type SimulatorOptions } from './simulator.ts'
export {
  type ApiSwitches,
  defaultApiSwitches,
  type Fault,
  type FaultInput,
  type FaultKind,
  type Switches,
  type SwitchesInput,
} from './switches.ts'
export { defaultWorkload, generateWorkload, type WorkloadOptions } from './workload.ts'
export { createWorld, type World } from './world.ts'
export {
  type App,
  type AppInput,
  defaultLifetimeRules,
  type LifetimeRules,
  type MixTask,
  type Room,
  type Stream,
  StreamCloseType,
  type WorldEvent,
} from './world-types.ts'
