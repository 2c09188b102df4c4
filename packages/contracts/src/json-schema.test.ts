import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'
import { EVENT_TYPES } from './events.ts'
import { eventJsonSchema } from './json-schema.ts'

type Branch = { properties: { type: { const: string }; v: { const: number } }; required: string[] }

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

  it('is printed by the write-json-schema script', async () => {
    const script = fileURLToPath(new URL('./write-json-schema.ts', import.meta.url))
    const { stdout } = await promisify(execFile)(process.execPath, [script], { timeout: 20_000 })
    expect(JSON.parse(stdout)).toEqual(eventJsonSchema())
  })
})
