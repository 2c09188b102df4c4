type Schema = Record<string, unknown>

const isSchema = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value)

/**
 * What makes `next` more than an additive change of `previous`: the rule for a topic value within one
 * schema version is that a new version of the code may only add optional fields. Anything else a
 * reader built on `previous` could trip over is listed: a field removed, made optional or newly
 * required, a type, const, enum or pattern changed, a union branch added or removed. Descriptions and
 * titles may change freely. Returns one line per problem, empty when compatible.
 */
export function schemaIncompatibilities(previous: Schema, next: Schema, path = '$'): string[] {
  const problems: string[] = []
  for (const key of ['type', 'const', 'enum', 'pattern', 'format', 'minimum', 'maximum', 'minLength']) {
    if (JSON.stringify(previous[key]) !== JSON.stringify(next[key]))
      problems.push(
        `${path}: ${key} changed from ${JSON.stringify(previous[key])} to ${JSON.stringify(next[key])}`,
      )
  }
  for (const key of ['anyOf', 'oneOf', 'allOf'] as const) {
    const before = previous[key]
    const after = next[key]
    if (!Array.isArray(before) && !Array.isArray(after)) continue
    if (!Array.isArray(before) || !Array.isArray(after) || before.length !== after.length) {
      problems.push(`${path}: ${key} branches changed (${count(before)} → ${count(after)})`)
      continue
    }
    before.forEach((branch, i) => {
      if (isSchema(branch) && isSchema(after[i]))
        problems.push(...schemaIncompatibilities(branch, after[i], `${path}.${key}[${i}]`))
    })
  }
  if (isSchema(previous.items) || isSchema(next.items)) {
    if (!isSchema(previous.items) || !isSchema(next.items)) problems.push(`${path}: items changed`)
    else problems.push(...schemaIncompatibilities(previous.items, next.items, `${path}[]`))
  }
  if (isSchema(previous.additionalProperties) && isSchema(next.additionalProperties)) {
    problems.push(
      ...schemaIncompatibilities(previous.additionalProperties, next.additionalProperties, `${path}{*}`),
    )
  } else if (JSON.stringify(previous.additionalProperties) !== JSON.stringify(next.additionalProperties)) {
    problems.push(`${path}: additionalProperties changed`)
  }
  problems.push(...propertyProblems(previous, next, path))
  return problems
}

function propertyProblems(previous: Schema, next: Schema, path: string): string[] {
  const problems: string[] = []
  const before = isSchema(previous.properties) ? previous.properties : {}
  const after = isSchema(next.properties) ? next.properties : {}
  const requiredBefore = new Set(Array.isArray(previous.required) ? previous.required : [])
  const requiredAfter = new Set(Array.isArray(next.required) ? next.required : [])
  for (const [name, schema] of Object.entries(before)) {
    const successor = after[name]
    if (!isSchema(successor)) {
      problems.push(`${path}.${name}: removed`)
      continue
    }
    if (requiredBefore.has(name) && !requiredAfter.has(name))
      problems.push(`${path}.${name}: no longer required`)
    if (!requiredBefore.has(name) && requiredAfter.has(name))
      problems.push(`${path}.${name}: became required`)
    if (isSchema(schema)) problems.push(...schemaIncompatibilities(schema, successor, `${path}.${name}`))
  }
  for (const name of Object.keys(after)) {
    if (!(name in before) && requiredAfter.has(name))
      problems.push(`${path}.${name}: added as required (only optional fields may be added)`)
  }
  return problems
}

const count = (value: unknown): number => (Array.isArray(value) ? value.length : 0)
