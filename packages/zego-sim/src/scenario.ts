import { z } from 'zod'
import type { SimActions } from './actions.ts'
import { type SimClock, sleepSim } from './clock.ts'
import { type Customer, type OutcomeSummary, summarizeOutcome } from './customer.ts'
import { SimError } from './errors.ts'
import type { StreamCloseTypeValue } from './world-types.ts'

/**
 * A scenario: timed steps (`at` in simulated seconds from the start). World steps act on the simulator
 * directly; mix steps go through zego-api as a customer would, to the configured API base URL.
 */

const AppId = z.number().int().positive()
const Ref = z.string().min(1)
/** A mix input or output: a stream id, or a URL when it contains `://`. */
const toSource = (s: string) => (s.includes('://') ? { StreamUrl: s } : { StreamId: s })

/** A step: what it does, when (simulated seconds from the start), on which AppId, and its own fields. */
const step = <Do extends string, Fields extends z.ZodRawShape>(name: Do, fields: Fields) =>
  z.object({ do: z.literal(name), at: z.number().min(0), appId: AppId, ...fields })

export const ScenarioStep = z.discriminatedUnion('do', [
  step('publish', { roomId: Ref, streamId: Ref, userId: Ref, userName: z.string().optional() }),
  step('unpublish', { streamId: Ref, type: z.number().int().optional() }),
  step('reconnect', { streamId: Ref }),
  step('closeRoom', { roomId: Ref, reason: z.number().int().optional() }),
  step('crashTask', { taskId: Ref }),
  step('startMix', {
    taskId: Ref,
    userId: Ref,
    roomId: z.string().optional(),
    inputs: z.array(Ref).min(1),
    outputs: z.array(Ref).min(1),
    maxIdleTime: z.number().int().optional(),
    sequence: z.number().int().optional(),
  }),
  step('stopMix', { taskId: Ref, userId: z.string().optional(), sequence: z.number().int().optional() }),
  step('startAutoMix', { taskId: Ref, userId: Ref, roomId: Ref, outputs: z.array(Ref).min(1) }),
  step('stopAutoMix', { taskId: Ref, roomId: Ref, userId: z.string().optional() }),
])
export type ScenarioStep = z.infer<typeof ScenarioStep>
export const Scenario = z.array(ScenarioStep)

export interface StepOutcome {
  index: number
  step: ScenarioStep
  /** Simulated ms when the step ran. */
  ranAt: number
  ok: boolean
  /** ZEGO Code for mix steps; the simulator error code for world steps that failed. */
  code: number | string | undefined
  message: string | undefined
}

export interface ScenarioDeps {
  clock: SimClock
  actions: SimActions
  customer: Customer
  /** Base URL for the customer's mix calls; default: the customer's own default. */
  apiBaseUrl?: string | undefined
  signal?: AbortSignal | undefined
}

function fromSummary(s: OutcomeSummary): Pick<StepOutcome, 'ok' | 'code' | 'message'> {
  return { ok: s.ok, code: s.zegoCode ?? s.error, message: s.message }
}

async function runStep(
  step: ScenarioStep,
  deps: ScenarioDeps,
): Promise<Pick<StepOutcome, 'ok' | 'code' | 'message'>> {
  const { actions } = deps
  const client = (appId: number) => deps.customer.client(appId, deps.apiBaseUrl)
  const done = { ok: true, code: undefined, message: undefined }
  switch (step.do) {
    case 'publish':
      actions.publish(step)
      return done
    case 'unpublish':
      actions.unpublish({ ...step, type: step.type as StreamCloseTypeValue | undefined })
      return done
    case 'reconnect':
      actions.reconnect(step)
      return done
    case 'closeRoom':
      actions.closeRoom(step)
      return done
    case 'crashTask':
      actions.crashTask(step)
      return done
    case 'startMix': {
      const outcome = await client(step.appId).startMix({
        TaskId: step.taskId,
        UserId: step.userId,
        ...(step.roomId !== undefined ? { RoomId: step.roomId } : {}),
        MixInput: step.inputs.map(toSource),
        MixOutput: step.outputs.map(toSource),
        ...(step.maxIdleTime !== undefined ? { MaxIdleTime: step.maxIdleTime } : {}),
        ...(step.sequence !== undefined ? { Sequence: step.sequence } : {}),
      })
      return fromSummary(summarizeOutcome(outcome))
    }
    case 'stopMix': {
      const outcome = await client(step.appId).stopMix({
        TaskId: step.taskId,
        ...(step.userId !== undefined ? { UserId: step.userId } : {}),
        ...(step.sequence !== undefined ? { Sequence: step.sequence } : {}),
      })
      return fromSummary(summarizeOutcome(outcome))
    }
    case 'startAutoMix': {
      const outcome = await client(step.appId).startAutoMix({
        TaskId: step.taskId,
        UserId: step.userId,
        RoomId: step.roomId,
        MixOutput: step.outputs.map(toSource),
      })
      return fromSummary(summarizeOutcome(outcome))
    }
    case 'stopAutoMix': {
      const outcome = await client(step.appId).stopAutoMix({
        TaskId: step.taskId,
        RoomId: step.roomId,
        ...(step.userId !== undefined ? { UserId: step.userId } : {}),
      })
      return fromSummary(summarizeOutcome(outcome))
    }
  }
}

/**
 * Runs steps in time order (ties keep their listed order), one after another: a step waits for the
 * previous one's answer, then for its own time. A failed step is recorded, never thrown.
 */
export async function runScenario(
  steps: readonly ScenarioStep[],
  deps: ScenarioDeps,
): Promise<StepOutcome[]> {
  const ordered = steps
    .map((step, index) => ({ step, index }))
    .sort((a, b) => a.step.at - b.step.at || a.index - b.index)
  const startedAt = deps.clock.now()
  const outcomes: StepOutcome[] = []
  for (const { step, index } of ordered) {
    await sleepSim(deps.clock, startedAt + step.at * 1000 - deps.clock.now(), deps.signal)
    const ranAt = deps.clock.now()
    try {
      outcomes.push({ index, step, ranAt, ...(await runStep(step, deps)) })
    } catch (err) {
      const code = err instanceof SimError ? err.code : 'SIM_STEP_FAILED'
      outcomes.push({
        index,
        step,
        ranAt,
        ok: false,
        code,
        message: err instanceof Error ? err.message : String(err),
      })
    }
  }
  return outcomes
}
