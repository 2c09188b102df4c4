import fc from 'fast-check'
import { it } from 'vitest'
import { decide } from './decide.ts'
import { emptyState } from './model.ts'
import { APP, policyWith } from './test-kit.ts'
import { buildWorld, scriptArb } from './test-world.ts'
it('stats', () => {
  const s = { worlds: 0, tasks: 0, events: 0, stops: 0, sup: 0, orphan: 0, truthSup: 0, reconnects: 0, updates: 0, custStops: 0 }
  fc.assert(fc.property(scriptArb, (script) => {
    const w = buildWorld(script)
    s.worlds++; s.tasks += w.tasks.size; s.events += w.events.length; s.truthSup += w.supersessions.length
    s.reconnects += w.events.filter(e => e.type === 'stream_created' && e.body.recreate).length
    s.updates += [...w.tasks.values()].reduce((n, t) => n + t.inputs.length - 1, 0)
    s.custStops += [...w.tasks.values()].filter(t => t.stoppedAt !== null).length
    let st = emptyState(APP)
    for (const e of w.events) { const r = decide(st, { kind: 'event', event: e }, e.receivedAt, policyWith({})); st = r.state; for (const d of r.decisions) { s.stops++; if (d.reason==='superseded') s.sup++ } }
    const r = decide(st, { kind: 'tick' }, w.end + 500_000, policyWith({})); for (const d of r.decisions) { s.stops++; if (d.reason==='orphaned') s.orphan++ }
  }), { numRuns: 200 })
  console.log(s)
})
