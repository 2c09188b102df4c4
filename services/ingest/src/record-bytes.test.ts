import { readFileSync } from 'node:fs'
import { expect, test } from 'vitest'
import { CASES, recordsOfCases } from './record-cases.ts'

// Written by main's code (record-cases.ts run on main, 2 Dec 2026) before the callback path was made
// faster; never regenerate it to make this test pass: the events topic's bytes are a contract.
const golden = JSON.parse(readFileSync(new URL('./record-bytes.golden.json', import.meta.url), 'utf8'))

test('every callback shape makes the same record, byte for byte, as before: topic, key, value, timestamp, headers', async () => {
  const records = await recordsOfCases()
  expect(records).toHaveLength(CASES.length)
  expect(records).toEqual(golden)
})
