import { z } from 'zod'
import { refuseRenamed, wholeNumber } from './env.ts'
import { secretFrom } from './file-secret.ts'
import { parseJsonText } from './json-text.ts'
import { Secret } from './secret.ts'

/**
 * The ZEGO apps both services serve, configured one way for both: one app from variables, or many from
 * the JSON file ZEGO_APPS_FILE (mount it from a secret store: it holds secrets). Each service takes what
 * it needs: ingest the callback secrets, the reconciler the ServerSecret and the policy.
 */
export const appsVariables = {
  ZEGO_APPS_FILE: z.string().optional(),
  ZEGO_APP_ID: wholeNumber(1, 0xffffffff).optional(),
  ZEGO_SERVER_SECRET: z.string().optional(),
  ZEGO_SERVER_SECRET_FILE: z.string().optional(),
  ZEGO_CALLBACK_SECRET: z.string().optional(),
  ZEGO_CALLBACK_SECRET_FILE: z.string().optional(),
  // The current and the next secret during a rotation, comma-separated.
  ZEGO_CALLBACK_SECRETS: z.string().optional(),
}

export interface ConfiguredApp<P> {
  appId: number
  /** The current secret, and during a rotation the next one; empty when not configured. */
  callbackSecrets: Secret[]
  serverSecret: Secret | null
  policy: P | undefined
}

export interface ConfiguredApps<P> {
  /** Policy for every app, listed or not. */
  defaults: P | undefined
  apps: ConfiguredApp<P>[]
}

const RENAMED = { INGEST_APPS_FILE: 'ZEGO_APPS_FILE', RECONCILER_APPS_FILE: 'ZEGO_APPS_FILE' }

const appId = z
  .union([z.number(), z.string().regex(/^\d+$/, 'must be a whole number').transform(Number)])
  .pipe(z.number().int().min(1).max(0xffffffff, 'must be a uint32 AppID'))

// Strict at every level: a misspelt key is an error in both services, not a secret silently missing.
const appsFileSchema = <P extends z.ZodType>(policy: P) =>
  z.strictObject({
    defaults: policy.optional(),
    apps: z
      .array(
        z.strictObject({
          appId,
          callbackSecrets: z
            .array(z.string().min(1, 'must not be empty'))
            .min(1, 'needs at least one secret')
            .optional(),
          serverSecret: z.string().min(1, 'must not be empty').optional(),
          policy: policy.optional(),
        }),
      )
      .default([]),
  })

/**
 * Reads the apps from `env` (non-empty variables only). `policy` validates the per-app and default
 * policy: the reconciler's schema, or `z.unknown()` for a service that does not use it. Problems name
 * the variable or the place in the file, never a value.
 */
export function readApps<P extends z.ZodType>(
  env: Readonly<Record<string, string | undefined>>,
  readFile: (path: string) => string,
  problems: string[],
  policy: P,
): ConfiguredApps<z.output<P>> {
  refuseRenamed(env, RENAMED, problems)
  const apps: ConfiguredApp<z.output<P>>[] = []
  let defaults: z.output<P> | undefined

  const callbackSecret = secretFrom(env, 'ZEGO_CALLBACK_SECRET', readFile, problems)
  const serverSecret = secretFrom(env, 'ZEGO_SERVER_SECRET', readFile, problems)
  const callbackSecrets = [
    ...(callbackSecret === null ? [] : [callbackSecret]),
    ...(env.ZEGO_CALLBACK_SECRETS ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s.length > 0)
      .map((s) => new Secret(s)),
  ]
  if (env.ZEGO_APP_ID !== undefined) {
    const id = Number(env.ZEGO_APP_ID)
    // A malformed ZEGO_APP_ID is reported by the service's variable schema.
    if (Number.isInteger(id) && id >= 1 && id <= 0xffffffff)
      apps.push({ appId: id, callbackSecrets, serverSecret, policy: undefined })
  } else if (callbackSecrets.length > 0 || serverSecret !== null) {
    problems.push('ZEGO_APP_ID is required when ZEGO_CALLBACK_SECRET(S) or ZEGO_SERVER_SECRET is set')
  }

  const file = env.ZEGO_APPS_FILE
  if (file !== undefined) {
    const parsed = parseAppsFile(file, readFile, problems, policy)
    if (parsed !== undefined) {
      defaults = parsed.defaults
      for (const a of parsed.apps)
        apps.push({
          appId: a.appId,
          callbackSecrets: (a.callbackSecrets ?? []).map((s) => new Secret(s)),
          serverSecret: a.serverSecret === undefined ? null : new Secret(a.serverSecret),
          policy: a.policy,
        })
    }
  }

  const seen = new Set<number>()
  for (const app of apps) {
    if (seen.has(app.appId)) problems.push(`AppID ${app.appId} is configured twice`)
    seen.add(app.appId)
  }
  return { defaults, apps }
}

function parseAppsFile<P extends z.ZodType>(
  file: string,
  readFile: (path: string) => string,
  problems: string[],
  policy: P,
) {
  let text: string
  try {
    text = readFile(file)
  } catch (error) {
    problems.push(
      `ZEGO_APPS_FILE cannot be read (${file}): ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
    )
    return undefined
  }
  const json = parseJsonText(text)
  if (!json.ok) {
    problems.push(`ZEGO_APPS_FILE (${file}) is not JSON: ${json.problem}`)
    return undefined
  }
  if (Array.isArray(json.value)) {
    // The format ingest read before both services shared one.
    problems.push(`ZEGO_APPS_FILE (${file}) is a list: wrap it as { "apps": [ … ] }`)
    return undefined
  }
  const result = appsFileSchema(policy).safeParse(json.value)
  if (result.success) return result.data
  for (const issue of result.error.issues) {
    const at =
      issue.path.length === 0
        ? ''
        : ` at ${issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`
    problems.push(`ZEGO_APPS_FILE${at}: ${issue.message}`)
  }
  return undefined
}
