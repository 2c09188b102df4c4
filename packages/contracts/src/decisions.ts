import { z } from 'zod'
import { sha256Hex } from './canonical-hash.ts'
import { type Decoded, decodeWith, encodeJson } from './codec.ts'
import { type Command, CommandSchema } from './commands.ts'

/** What the reconciler decided about one task, written to the decisions topic before it acts. */
export const DECISION_ACTIONS = ['stop', 'would_stop', 'verify'] as const
export const DECISION_REASONS = [
  'orphaned',
  'superseded',
  'room_closed',
  'room_empty',
  'unconfirmed_stop',
  'silent',
] as const

const appId = z.number().int().min(1).max(0xffffffff)
const epochMs = z.number().int()

export const DecisionSchema = z.object({
  v: z.literal(1),
  id: z.string().min(1),
  appId,
  taskId: z.string(),
  action: z.enum(DECISION_ACTIONS),
  reason: z.enum(DECISION_REASONS),
  rule: z.string().nullable().describe("e.g. 'shared_output', 'grace:heartbeat_timeout'"),
  evidence: z.object({
    eventIds: z.array(z.string()),
    deadline: epochMs.nullable(),
    supersededBy: z.string().nullable(),
    note: z.string().nullable(),
  }),
  decidedAt: epochMs,
  command: CommandSchema.optional().describe(
    'the ZEGO call this decision stands for (for would_stop: the call it would make); absent from decisions written before it existed',
  ),
})
/** A decision as a reader of the topic gets it: `command` may be missing from older records. */
export type Decision = z.output<typeof DecisionSchema>
/** A decision as the reconciler makes it: always with its complete command. */
export type CommandDecision = Decision & { command: Command }

/**
 * Deterministic, so that a reconciler that decides again after a restart or rebalance (same task,
 * same reason, same evidence) writes the same id and the duplicate is recognisable. The time of
 * deciding, the free-text note and the command (derived from the rest and the task's facts) are left out; the action is in, so a dry-run `would_stop` and the
 * later enforced `stop` stay two decisions.
 */
export function decisionId(decision: Omit<Decision, 'v' | 'id' | 'decidedAt' | 'command'>): string {
  const { eventIds, deadline, supersededBy } = decision.evidence
  // contentHash of these parts: their canonical JSON is their JSON, as no part is an object whose keys it
  // would sort (the id of a decision must stay the value already on the topic and in saved states).
  return sha256Hex(
    JSON.stringify([
      'decision/v1',
      decision.appId,
      decision.taskId,
      decision.action,
      decision.reason,
      decision.rule,
      [...eventIds].sort(),
      deadline,
      supersededBy,
    ]),
  )
}

export const OUTCOME_RESULTS = [
  'stopped',
  'already_gone',
  'still_running',
  'retrying',
  'failed_permanent',
  'gave_up',
  'observed',
] as const

/**
 * What happened when a decision was carried out, written after the API call. A room check
 * (DescribeSimpleStreamList) has the result `observed`: what it saw goes back into the reconciler's state.
 */
export const OutcomeSchema = z.object({
  v: z.literal(1),
  decisionId: z.string().min(1),
  appId,
  taskId: z.string(),
  action: z.enum(['StopMix', 'GetMixTaskInfo', 'DescribeSimpleStreamList']),
  result: z.enum(OUTCOME_RESULTS),
  zegoCode: z.number().int().nullable(),
  errorCode: z
    .string()
    .nullable()
    .describe('when the call failed: one of OUTCOME_ERROR_CODES (a zego-api error code, or NO_CREDENTIALS)'),
  attempt: z
    .number()
    .int()
    .nonnegative()
    .describe('calls made for this decision so far; the first call is 1'),
  at: epochMs,
})
export type Outcome = z.output<typeof OutcomeSchema>

/** A record that could not be used, kept with the reason so a person can replay or discard it. */
export const DeadLetterSchema = z.object({
  v: z.literal(1),
  source: z.string().describe("where it was found, e.g. 'ingest:callback' or 'mixguard.events'"),
  reason: z.string(),
  receivedAt: epochMs,
  appId: appId.nullable(),
  payload: z
    .string()
    .describe(
      "the original bytes as text (cut short when `truncated`); for 'ingest:callback', the body as JSON without signature, nonce and timestamp",
    ),
  signatureSha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/)
    .optional()
    .describe(
      "sha256 of the callback's signature, for 'ingest:callback' (the signature itself is never kept)",
    ),
  topic: z.string().optional().describe('the topic the record was meant for, when it was refused there'),
  bytes: z.number().int().nonnegative().optional().describe('the size of the original value'),
  limitBytes: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('the size the record had to stay within, when it was refused for its size'),
  truncated: z.boolean().optional().describe('true when `payload` holds only the first part of the value'),
})
export type DeadLetter = z.output<typeof DeadLetterSchema>

export const encodeDecision = (decision: Decision): Buffer => encodeJson(decision)
export const encodeOutcome = (outcome: Outcome): Buffer => encodeJson(outcome)
export const encodeDeadLetter = (deadLetter: DeadLetter): Buffer => encodeJson(deadLetter)

type Bytes = Uint8Array | string | null | undefined

export function decodeDecision(bytes: Bytes): Decoded<'decision', Decision> {
  return decodeWith(DecisionSchema, 'decision', bytes)
}

export function decodeOutcome(bytes: Bytes): Decoded<'outcome', Outcome> {
  return decodeWith(OutcomeSchema, 'outcome', bytes)
}

export function decodeDeadLetter(bytes: Bytes): Decoded<'deadLetter', DeadLetter> {
  return decodeWith(DeadLetterSchema, 'deadLetter', bytes)
}
