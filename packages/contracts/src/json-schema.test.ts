import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { EVENT_TYPES } from './events.ts'
import {
  eventJsonSchema,
  SCHEMA_NAMES,
  SCHEMA_VERSION,
  schemaFileName,
  topicJsonSchema,
} from './json-schema.ts'
import { schemaIncompatibilities } from './schema-compatibility.ts'

type Branch = { properties: { type: { const: string }; v: { const: number } }; required: string[] }

const committed = (folder: string, name: (typeof SCHEMA_NAMES)[number]) =>
  JSON.parse(
    readFileSync(
      fileURLToPath(new URL(`../schemas/${folder}${schemaFileName(name)}`, import.meta.url)),
      'utf8',
    ),
  )

describe('eventJsonSchema', () => {
  it('has one branch per event type, told apart by the type discriminator', () => {
    const schema = eventJsonSchema()
    const branches = schema.anyOf as Branch[]
    expect(branches.map((b) => b.properties.type.const).sort()).toEqual([...EVENT_TYPES].sort())
    for (const branch of branches) {
      expect(branch.required).toEqual(expect.arrayContaining(['v', 'id', 'appId', 'type', 'body', 'raw']))
      expect(branch.properties.v.const).toBe(1)
    }
  })
})

describe('the committed topic schemas', () => {
  it.each(SCHEMA_NAMES)(
    '%s.schema.json matches the zod schema (run `pnpm schemas` after a change)',
    (name) => {
      expect(committed('', name)).toEqual(topicJsonSchema(name))
    },
  )

  it.each(SCHEMA_NAMES)(
    '%s only adds optional fields to its frozen baseline in schemas/v1 (otherwise bump v)',
    (name) => {
      expect(schemaIncompatibilities(committed(`v${SCHEMA_VERSION}/`, name), topicJsonSchema(name))).toEqual(
        [],
      )
    },
  )

  it('keeps readers open to added fields (no additionalProperties: false)', () => {
    for (const name of SCHEMA_NAMES)
      expect(JSON.stringify(topicJsonSchema(name))).not.toContain('"additionalProperties":false')
  })
})
