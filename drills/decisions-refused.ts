import { topicName } from '@mixguard/contracts'
import kafkajs from 'kafkajs'
import { changelogText } from '../test/changelog-text.ts'
import { type Drill, within } from './drill.ts'
import { type DrillTask, orphan, orphansEnded, startTask, stopBooks } from './mix-tasks.ts'
import { rows } from './report.ts'
import type { Stack } from './stack.ts'
import { startStack } from './stack.ts'
import { supervise } from './supervisor.ts'

const GRACE_MS = 3_000
// kafkajs is CommonJS: its enums come with the default export.
const { ConfigResourceTypes } = kafkajs

/**
 * Drill 3: mid-run, the decisions topic refuses every record (its max.message.bytes shrunk through
 * the admin API) while a set of mixes become orphans; then it is restored. The reconciler must not
 * crash (a supervisor restarts it if it does, and the crash is counted), and no stop may be lost.
 */
export const decisionsRefused: Drill = {
  name: 'decisions-refused',
  async run(ctx) {
    const size = ctx.short
      ? { tasks: 6, refuseSec: 11, waitMs: 60_000 }
      : { tasks: 20, refuseSec: 30, waitMs: 100_000 }
    const r = rows('3 decisions refused')
    const stack = await startStack({
      label: 'refused',
      brokers: ctx.brokers,
      book: ctx.book,
      logDir: ctx.logDir,
      reconciler: true,
      policy: { graceMs: { normal: GRACE_MS } },
    })
    const supervisor = supervise(stack, stack.reconcilers[0] as NonNullable<Stack['reconcilers'][number]>)
    try {
      const tasks: DrillTask[] = []
      for (let i = 0; i < size.tasks; i++) tasks.push(await startTask(stack, `refused-${i}`, false))
      // The reconciler has every task once its saved state names them all.
      const state = await stack.collect('reconciler-state')
      await state.until(
        'every task in the saved state',
        (records) => {
          const value = records.at(-1)?.value
          const last = value ? changelogText(value) : ''
          return tasks.every((t) => last.includes(`"${t.taskId}"`))
        },
        30_000,
      )
      const restore = await refuseRecords(stack, topicName('decisions', stack.prefix))
      ctx.progress(`decisions-refused: decisions topic refusing records for ${size.refuseSec} s`)
      for (const t of tasks) orphan(stack, t)
      await new Promise((resolve) => setTimeout(resolve, size.refuseSec * 1000))
      await restore()
      const restoredAt = stack.sim.clock.now()
      const ended = await within(
        orphansEnded(stack, tasks).then(() => true),
        size.waitMs,
        false,
      )
      supervisor.stop()

      const books = stopBooks(stack, tasks, GRACE_MS)
      r.note('orphans made while the topic refused records', books.orphans)
      r.check('reconciler crashes (restarted by the drill)', supervisor.crashes, supervisor.crashes === 0)
      for (const cause of new Set(supervisor.causes)) r.note('  crash', cause)
      r.check('stops lost', books.missed, books.missed === 0 && ended)
      r.check('wrongful stops', books.wrongful, books.wrongful === 0)
      const lastStop = Math.max(
        ...stack.sim.ledger.stopCalls(stack.app.appId).map((c) => c.simAt),
        Number.NEGATIVE_INFINITY,
      )
      r.note(
        'last stop after the topic was restored (s)',
        Number.isFinite(lastStop) ? Math.round((lastStop - restoredAt) / 100) / 10 : 'none',
      )
      return r.list
    } finally {
      supervisor.stop()
      await stack.close()
    }
  },
}

/**
 * Shrinks a topic's max.message.bytes so the broker refuses every record (MESSAGE_TOO_LARGE); the
 * returned function puts the topic's own configuration back. kafkajs's alterConfigs replaces a topic's
 * overrides, so the others are read first and written back with it.
 */
async function refuseRecords(stack: Stack, topic: string): Promise<() => Promise<void>> {
  const admin = stack.kafka.admin()
  await admin.connect()
  try {
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
    })
    const overrides = (described.resources[0]?.configEntries ?? [])
      .filter((e) => !e.isDefault && e.configName !== 'max.message.bytes')
      .map((e) => ({ name: e.configName, value: e.configValue }))
    const alter = (entries: Array<{ name: string; value: string }>) =>
      admin.alterConfigs({
        validateOnly: false,
        resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: entries }],
      })
    await alter([...overrides, { name: 'max.message.bytes', value: '64' }])
    return async () => {
      await alter(overrides)
      await admin.disconnect()
    }
  } catch (error) {
    await admin.disconnect()
    throw error
  }
}
