import type { Secret } from '@mixguard/service-kit'

export interface AppSecrets {
  appId: number
  /** The current secret, and during a rotation the next one; a signature by either is authentic. */
  callbackSecrets: Secret[]
  /** Verifies passthrough calls (only verified mix calls are recorded); null: forwarded unrecorded. */
  serverSecret: Secret | null
}

export interface AppRegistry {
  get(appId: number): AppSecrets | undefined
  ids(): number[]
}

export function createAppRegistry(apps: readonly AppSecrets[]): AppRegistry {
  const byId = new Map(apps.map((a) => [a.appId, a]))
  return {
    get: (appId) => byId.get(appId),
    ids: () => [...byId.keys()],
  }
}
