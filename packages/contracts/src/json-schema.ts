import { z } from 'zod'
import { ZegoEventSchema } from './events.ts'

/** JSON Schema (draft 2020-12) of the event envelope, for consumers that are not written in TypeScript. */
export function eventJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ZegoEventSchema, { target: 'draft-2020-12' }) as Record<string, unknown>
}
