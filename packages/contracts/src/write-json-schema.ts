// Writes the current JSON Schema of every topic value into packages/contracts/schemas/ (`pnpm schemas`).
// The files under schemas/v<N>/ are the frozen baselines of each released version: never regenerated.
import { writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { SCHEMA_NAMES, schemaFileName, topicJsonSchema } from './json-schema.ts'

const folder = fileURLToPath(new URL('../schemas/', import.meta.url))
for (const name of SCHEMA_NAMES) {
  writeFileSync(`${folder}${schemaFileName(name)}`, `${JSON.stringify(topicJsonSchema(name), null, 2)}\n`)
}
process.stdout.write(`wrote ${SCHEMA_NAMES.length} schemas to ${folder}\n`)
