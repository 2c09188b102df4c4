import { Secret } from './secret.ts'

/**
 * A secret from `NAME` or from the file named by `NAME_FILE` (Docker and Kubernetes secrets), never
 * both. A file's trailing newline is dropped. Problems name the variable, never the value.
 */
export function secretFrom(
  env: Readonly<Record<string, string | undefined>>,
  name: string,
  readFile: (path: string) => string,
  problems: string[],
): Secret | null {
  const direct = env[name]
  const file = env[`${name}_FILE`]
  if (direct !== undefined && file !== undefined) {
    problems.push(`${name} and ${name}_FILE are both set: set one`)
    return null
  }
  if (direct !== undefined) return new Secret(direct)
  if (file === undefined) return null
  try {
    const value = readFile(file).replace(/\r?\n$/, '')
    if (value.length === 0) {
      problems.push(`${name}_FILE (${file}) is empty`)
      return null
    }
    return new Secret(value)
  } catch (error) {
    problems.push(
      `${name}_FILE cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
    return null
  }
}
