import { readFileSync } from 'node:fs'
import { ENVIRONMENT_VARIABLES as ingestVariables } from '@mixguard/ingest'
import { ENVIRONMENT_VARIABLES as reconcilerVariables } from '@mixguard/reconciler'
import { EGRESS_VARIABLES } from '@mixguard/zego-api'
import { expect, test } from 'vitest'

test('.env.example names every variable the services read, and nothing else', () => {
  const named = readFileSync('.env.example', 'utf8')
    .split('\n')
    .map((line) => /^(?:# )?([A-Z][A-Z0-9_]+)=/.exec(line)?.[1])
    .filter((name): name is string => name !== undefined)
  expect(new Set(named).size).toBe(named.length)
  const read = new Set([...ingestVariables, ...reconcilerVariables, ...EGRESS_VARIABLES])
  expect([...named].sort()).toEqual([...read].sort())
})
