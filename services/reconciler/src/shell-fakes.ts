// Test support for the shell (not part of the service's API): hand-written fakes of its effects.
import { type Decision, encodeEvent, type ZegoEvent } from '@mixguard/contracts'
import { type AppPolicy, type AppState, defaultPolicy } from './core/index.ts'
import type { EventRecord, Executor, StateStore, StoredApp } from './shell-ports.ts'

/**
 * A changelog in memory; `failSaves` makes the next saves throw, like a broker refusing records, and
 * `encoding`, while set, holds a save before it writes, as a long encode in slices does.
 */
export function fakeStore() {
  const saved = new Map<number, Map<number, StoredApp<AppState>>>()
  const store = {
    saves: 0,
    restores: 0,
    failSaves: 0,
    encoding: null as Promise<void> | null,
    saved,
    async restore(partitions: number[]) {
      store.restores++
      return new Map(partitions.map((p) => [p, new Map(structuredClone([...(saved.get(p) ?? [])]))]))
    },
    async save(partition: number, apps: StoredApp<AppState>[], beforeWrite?: () => void) {
      if (store.encoding) await store.encoding
      beforeWrite?.()
      if (store.failSaves > 0) {
        store.failSaves--
        throw Object.assign(new Error('refused'), { code: 'MESSAGE_TOO_LARGE' })
      }
      store.saves++
      const into = saved.get(partition) ?? new Map()
      for (const app of apps) into.set(app.appId, structuredClone(app))
      saved.set(partition, into)
    },
    async unchanged(partitions: number[]) {
      return new Set(partitions)
    },
  } satisfies StateStore<AppState> & Record<string, unknown>
  return store
}

/** A decisions topic that refuses the next `fail` publishes; `publishes` counts its round trips. */
export function fakeTopic<T>() {
  const topic = {
    records: [] as T[],
    fail: 0,
    publishes: 0,
    async publish(records: T[]) {
      topic.publishes++
      if (topic.fail > 0) {
        topic.fail--
        throw Object.assign(new Error('refused'), { code: 'MESSAGE_TOO_LARGE' })
      }
      topic.records.push(...records)
    },
  }
  return topic
}

export function fakeExecutor() {
  const executor = {
    submitted: [] as Decision[],
    cancelled: [] as number[],
    submit(decision: Decision) {
      executor.submitted.push(decision)
    },
    cancel(appIds: Iterable<number>) {
      executor.cancelled.push(...appIds)
    },
    inFlight: () => 0,
    drained: () => Promise.resolve(),
  } satisfies Executor & Record<string, unknown>
  return executor
}

export const records = (events: ZegoEvent[], first = 0): EventRecord[] =>
  events.map((event, i) => ({ offset: String(first + i), value: encodeEvent(event) }))

export const noConfirmation = (appId: number): AppPolicy => ({
  ...defaultPolicy(appId),
  confirmOrphansWithStreamList: false,
})
