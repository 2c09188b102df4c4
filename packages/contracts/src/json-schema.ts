import { z } from 'zod'
import { DeadLetterSchema, DecisionSchema, OutcomeSchema } from './decisions.ts'
import { ZegoEventSchema } from './events.ts'
import type { LogicalTopic } from './topics.ts'

/**
 * Every value Mixguard writes to a topic, by schema name. The name is also the `mixguard-type` record
 * header (record-metadata.ts) and the file name under packages/contracts/schemas/. `mix-api-call` is
 * the events-topic branch the passthrough writes: the only place a task's inputs are visible.
 */
export const SCHEMA_NAMES = ['event', 'mix-api-call', 'decision', 'outcome', 'dead-letter'] as const
export type SchemaName = (typeof SCHEMA_NAMES)[number]

/** The `v` every value carries today; a change that is not purely additive needs the next one. */
export const SCHEMA_VERSION = 1

const mixApiCallEnvelope = ZegoEventSchema.options.find((o) => o.shape.type.value === 'mix_api_call')
if (mixApiCallEnvelope === undefined) throw new Error('the event union lost its mix_api_call branch')

export const TOPIC_VALUE_SCHEMAS = {
  event: { topic: 'events', schema: ZegoEventSchema },
  'mix-api-call': { topic: 'events', schema: mixApiCallEnvelope },
  decision: { topic: 'decisions', schema: DecisionSchema },
  outcome: { topic: 'outcomes', schema: OutcomeSchema },
  'dead-letter': { topic: 'dead-letter', schema: DeadLetterSchema },
} as const satisfies { [N in SchemaName]: { topic: LogicalTopic; schema: z.ZodType } }

/**
 * JSON Schema (draft 2020-12) of one topic value, for consumers not written in TypeScript. Generated
 * for the input side, so objects stay open (no `additionalProperties: false`): a reader built on
 * version N keeps reading values of a later version that only added optional fields.
 */
export function topicJsonSchema(name: SchemaName): Record<string, unknown> {
  const { topic, schema } = TOPIC_VALUE_SCHEMAS[name]
  const generated = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >
  const { $schema, ...rest } = generated
  return {
    $schema,
    $id: `urn:mixguard:schema:${name}:v${SCHEMA_VERSION}`,
    title: `mixguard ${name} v${SCHEMA_VERSION} (topic <prefix>.${topic})`,
    ...rest,
  }
}

/** The event envelope's JSON Schema (every event type, mix-API calls included). */
export function eventJsonSchema(): Record<string, unknown> {
  return topicJsonSchema('event')
}

/** The committed file of a schema: `schemas/<name>.schema.json` (current) or `schemas/v<N>/…` (frozen). */
export function schemaFileName(name: SchemaName): string {
  return `${name}.schema.json`
}
