import { seededRandom } from '@mixguard/zego-sim'
import type { ServiceProcess } from '../test/service-process.ts'
import { paced } from './callbacks.ts'
import { type Drill, within } from './drill.ts'
import { type DrillTask, orphan, orphansEnded, startTask, stopBooks } from './mix-tasks.ts'
import { rows } from './report.ts'
import { startStack } from './stack.ts'

const GRACE_MS = 3_000
/** The bound the issue aims at for a stop's delay beyond its grace, through a storm of kills. */
const AIM_BEYOND_GRACE_MS = 15_000

/**
 * Drill 2: under a steady workload of mixes (most orphaned a few seconds after they start, every
 * fifth kept live), the reconciler process is SIGKILLed at random moments and started again at once,
 * as a supervisor would. Every orphan must be stopped, no live task ever, and each stop as soon after
 * its grace as the restarts allow.
 */
export const reconcilerKills: Drill = {
  name: 'reconciler-kills',
  async run(ctx) {
    const size = ctx.short
      ? { kills: 3, tasksPerSecond: 1, seconds: 15, waitMs: 100_000 }
      : { kills: 10, tasksPerSecond: 2, seconds: 60, waitMs: 150_000 }
    const r = rows('2 reconciler SIGKILLs')
    const random = seededRandom(8_002)
    const stack = await startStack({
      label: 'kills',
      brokers: ctx.brokers,
      book: ctx.book,
      logDir: ctx.logDir,
      reconciler: true,
      policy: { graceMs: { normal: GRACE_MS } },
    })
    try {
      const tasks: DrillTask[] = []
      const starting: Array<Promise<void>> = []
      let loadOver = false
      const load = paced(
        size.tasksPerSecond,
        size.seconds,
        (n) => {
          starting.push(
            startTask(stack, `kill-${n}`, n % 5 === 4).then((t) => {
              tasks.push(t)
              // Orphaned 2-6 s after it started.
              if (!t.live) setTimeout(() => orphan(stack, t), 2_000 + random() * 4_000)
            }),
          )
        },
        () => loadOver,
      )

      let current = stack.reconcilers[0] as ServiceProcess
      let kills = 0
      const killer = (async () => {
        for (let k = 0; k < size.kills; k++) {
          // A random moment 1-(2·seconds/kills) s into this process's life: in its restore, mid-batch, idle.
          const wait = 1_000 + random() * ((2 * size.seconds * 1000) / size.kills - 1_000)
          await new Promise((resolve) => setTimeout(resolve, wait))
          await current.kill('SIGKILL')
          kills += 1
          current = stack.startReconciler()
        }
      })()
      await killer
      loadOver = true
      await load
      await Promise.all(starting)
      // The last orphans close up to 6 s after their start.
      await new Promise((resolve) => setTimeout(resolve, 6_500))
      const ended = await within(
        orphansEnded(stack, tasks).then(() => true),
        size.waitMs,
        false,
      )

      const books = stopBooks(stack, tasks, GRACE_MS)
      r.note('SIGKILLs (each followed by a restart)', kills)
      r.note(
        'tasks started (orphans / live)',
        `${tasks.filter((t) => t.started).length} (${books.orphans} / ${tasks.filter((t) => t.live && t.started).length})`,
      )
      r.check(
        'tasks that failed to start',
        tasks.filter((t) => !t.started).length,
        tasks.every((t) => t.started),
      )
      r.check('missed stops', books.missed, books.missed === 0 && ended)
      r.note('duplicate StopMix calls (carried out beyond the first per task)', books.duplicates)
      r.check('wrongful stops', books.wrongful, books.wrongful === 0)
      const worst = Math.round(books.worstBeyondGraceMs / 100) / 10
      r.aim(
        `worst stop delay beyond its ${GRACE_MS / 1000} s grace (s; aim ≤ ${AIM_BEYOND_GRACE_MS / 1000})`,
        worst,
        books.worstBeyondGraceMs <= AIM_BEYOND_GRACE_MS,
      )
      return r.list
    } finally {
      await stack.close()
    }
  },
}
