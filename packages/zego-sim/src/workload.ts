import { type Random, randomInt } from './random.ts'
import type { ScenarioStep } from './scenario.ts'

/**
 * A random but seeded live-streaming workload, as scenario steps: rooms with a host, a mix of the
 * host, co-host sessions that replace the mix with a new task — by the same initiator UserId or onto
 * the same output stream — often WITHOUT stopping the old one (the waste Mixguard exists for), host
 * reconnects, and room endings where the customer sometimes forgets StopMix.
 */
export interface WorkloadOptions {
  appId: number
  rooms: number
  /** Simulated seconds the workload spans. */
  durationSec: number
  /** Co-host sessions per room: 0..max. */
  maxCoHostSessions: number
  /** Fraction of task replacements that do not stop the old task first. */
  supersedeWithoutStop: number
  /** Fraction of replacements that keep the output stream (with a new UserId) rather than the UserId. */
  sameOutputSupersede: number
  /** Fraction of room endings with no StopMix for the last task. */
  forgetStop: number
  /** Fraction of hosts that drop (heartbeat/TCP) once and reconnect inside the window. */
  reconnects: number
  closeRooms: boolean
}

export const defaultWorkload: Omit<WorkloadOptions, 'appId'> = {
  rooms: 10,
  durationSec: 600,
  maxCoHostSessions: 2,
  supersedeWithoutStop: 0.5,
  sameOutputSupersede: 0.5,
  forgetStop: 0.3,
  reconnects: 0.3,
  closeRooms: true,
}

const round = (s: number): number => Math.round(s * 10) / 10

function roomSteps(o: WorkloadOptions, random: Random, i: number): ScenarioStep[] {
  const { appId } = o
  const steps: ScenarioStep[] = []
  const roomId = `room-${i}`
  const host = `${roomId}-host`
  const start = round(random() * o.durationSec * 0.25)
  const end = round(Math.min(o.durationSec, start + o.durationSec * (0.5 + random() * 0.25)))
  let taskNo = 1
  let userId = `mixer-${roomId}`
  let output = `${roomId}-out`
  let current = `${roomId}-mix-1`

  steps.push({ do: 'publish', at: start, appId, roomId, streamId: host, userId: `host-${i}` })
  steps.push({
    do: 'startMix',
    at: start + 1,
    appId,
    roomId,
    taskId: current,
    userId,
    inputs: [host],
    outputs: [output],
  })

  // The next task replaces `current` at `at`: same UserId (new output) or same output (new UserId).
  const replace = (at: number, inputs: string[]): void => {
    taskNo += 1
    if (random() < o.sameOutputSupersede) userId = `mixer-${roomId}-${taskNo}`
    else output = `${roomId}-out-${taskNo}`
    if (random() >= o.supersedeWithoutStop) steps.push({ do: 'stopMix', at, appId, taskId: current })
    current = `${roomId}-mix-${taskNo}`
    steps.push({
      do: 'startMix',
      at: round(at + 0.5),
      appId,
      roomId,
      taskId: current,
      userId,
      inputs,
      outputs: [output],
    })
  }

  const sessions = randomInt(random, 0, o.maxCoHostSessions)
  const span = (end - start - 20) / Math.max(1, sessions)
  for (let k = 0; k < sessions && span > 10; k++) {
    const from = round(start + 10 + k * span + random() * span * 0.3)
    const until = round(from + Math.max(5, span * (0.3 + random() * 0.4)))
    const co = `${roomId}-co-${k + 1}`
    steps.push({ do: 'publish', at: from, appId, roomId, streamId: co, userId: `cohost-${i}-${k + 1}` })
    replace(from + 1, [host, co])
    steps.push({ do: 'unpublish', at: until, appId, streamId: co, type: 0 })
    replace(until + 1, [host])
  }

  if (random() < o.reconnects && end - start > 30) {
    const drop = round(start + 5 + random() * (end - start - 30))
    steps.push({ do: 'unpublish', at: drop, appId, streamId: host, type: random() < 0.5 ? 1 : 4 })
    steps.push({ do: 'reconnect', at: round(drop + 2 + random() * 20), appId, streamId: host })
  }

  steps.push({ do: 'unpublish', at: end, appId, streamId: host, type: 0 })
  if (random() >= o.forgetStop) steps.push({ do: 'stopMix', at: end + 1, appId, taskId: current })
  if (o.closeRooms) steps.push({ do: 'closeRoom', at: end + 2, appId, roomId })
  return steps
}

/** Pure: the same options and seeded random give the same steps. */
export function generateWorkload(
  options: Partial<WorkloadOptions> & { appId: number },
  random: Random,
): ScenarioStep[] {
  const o: WorkloadOptions = { ...defaultWorkload, ...options }
  const steps: ScenarioStep[] = []
  for (let i = 1; i <= o.rooms; i++) steps.push(...roomSteps(o, random, i))
  return steps
    .map((s, index) => ({ s, index }))
    .sort((a, b) => a.s.at - b.s.at || a.index - b.index)
    .map(({ s }) => s)
}
