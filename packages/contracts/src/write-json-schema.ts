// Prints the event envelope's JSON Schema: node packages/contracts/src/write-json-schema.ts > event.schema.json
import { eventJsonSchema } from './json-schema.ts'

process.stdout.write(`${JSON.stringify(eventJsonSchema(), null, 2)}\n`)
