import { describe, expect, it } from 'vitest'
import { sessionKey } from './liveness.ts'
import { tget } from './table.ts'
import { closed, created, driver, T0 } from './test-kit.ts'

describe('sessionKey', () => {
  it("gives each room session its own key, also a room's next session after the key it made last", () => {
    expect(sessionKey('r1', 's1')).toBe('["r1","s1"]')
    expect(sessionKey('r1', 's1')).toBe('["r1","s1"]')
    expect(sessionKey('r1', 's2')).toBe('["r1","s2"]')
    expect(sessionKey('r2', 's2')).toBe('["r2","s2"]')
    expect(sessionKey('r1', 's1')).toBe('["r1","s1"]')
    expect(sessionKey('r"1', 's\\1')).toBe(JSON.stringify(['r"1', 's\\1']))
  })

  it('a stream keeps one fact per session of one room, its callbacks of two sessions in a row', () => {
    const d = driver()
    d.event(created({ streamId: 's1', at: T0, seq: 1, session: 'rs1' }))
    d.event(closed({ streamId: 's1', at: T0 + 1_000, seq: 2, session: 'rs1' }))
    d.event(created({ streamId: 's1', at: T0 + 2_000, seq: 1, session: 'rs2' }))
    const facts = tget(d.state.streams, 's1')?.facts ?? {}
    expect(Object.keys(facts)).toEqual(['["r1","rs1"]', '["r1","rs2"]'])
    expect(facts['["r1","rs1"]']).toMatchObject({ kind: 'close', roomSessionId: 'rs1' })
    expect(facts['["r1","rs2"]']).toMatchObject({ kind: 'create', roomSessionId: 'rs2' })
  })
})
