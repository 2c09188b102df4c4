import { ZegoCode } from '@mixguard/zego-api'
import { endTask, key, nextMixSeq, refreshTask, snapshot, type WorldCore } from './world-core.ts'
import type { App, MixInputRef, MixOutputRef, MixTask, ZegoResult } from './world-types.ts'

/** ZEGO's mix rules (docs/zego.md §2–5, §8): what StartMix/StopMix and friends accept and do. */

export interface StartMixCommand {
  taskId: string
  userId: string
  roomId?: string | undefined
  inputs: MixInputRef[]
  outputs: MixOutputRef[]
  sequence?: number | undefined
  maxIdleSec?: number | undefined
}

export interface StopMixCommand {
  taskId: string
  sequence?: number | undefined
  userId?: string | undefined
}

export interface StartAutoMixCommand {
  taskId: string
  userId: string
  roomId: string
  outputs: MixOutputRef[]
  /** Streams from other rooms; `remove` is ZEGO's `ModifyType: 1`. */
  extraInputs: { input: MixInputRef; remove: boolean }[]
  sequence?: number | undefined
}

export interface StopAutoMixCommand {
  taskId: string
  roomId: string
  sequence?: number | undefined
  userId?: string | undefined
}

interface PlayInfo {
  StreamId: string
  RTMP: string
  HLS: string
  FLV: string
  Status: number
  UserName: string
}

export interface StartMixData {
  UserId: string
  Sequence: number
  RoomId: string
  PlayInfo: PlayInfo[]
}

export interface MixTaskInfoData {
  TaskInfo: { TaskId: string; MixDuration: number }
}

const fail = (code: number, message: string): ZegoResult<never> => ({ ok: false, code, message })

const inputKey = (i: MixInputRef): string => (i.kind === 'url' ? `url:${i.url}` : `stream:${i.streamId}`)
const outputKey = (o: MixOutputRef): string => (o.url !== undefined ? `url:${o.url}` : `stream:${o.streamId}`)

function hasDuplicates(keys: string[]): boolean {
  return new Set(keys).size !== keys.length
}

function checkOutputs(core: WorldCore, outputs: MixOutputRef[]): ZegoResult<never> | undefined {
  if (outputs.length === 0) return fail(ZegoCode.MixBadParameter, 'MixOutput must not be empty')
  if (outputs.length > core.rules.maxOutputs)
    return fail(ZegoCode.MixTooManyOutputs, `at most ${core.rules.maxOutputs} outputs`)
  if (hasDuplicates(outputs.map(outputKey)))
    return fail(ZegoCode.MixDuplicateOutput, 'duplicate output stream')
  return undefined
}

/** Sequence fencing and ownership, shared by every call that changes or stops an existing task. */
function checkControl(
  app: App,
  existing: MixTask | undefined,
  sequence: number | undefined,
  userId: string | undefined,
  sequenceRequired: boolean,
): ZegoResult<never> | undefined {
  if (app.sequenceFencing) {
    if (sequence === undefined && sequenceRequired)
      return fail(ZegoCode.MixBadParameter, 'Sequence is required for this AppId')
    if (sequence !== undefined && existing?.sequence !== undefined && sequence <= existing.sequence)
      return fail(ZegoCode.MixSequenceError, `stale Sequence ${sequence} (last ${existing.sequence})`)
  }
  if (app.taskOwnership && existing !== undefined && userId !== existing.userId)
    return fail(ZegoCode.MixNotOwner, 'only the task owner may change or stop this task')
  return undefined
}

function playInfo(outputs: MixOutputRef[]): PlayInfo[] {
  // Play URLs are filled only for CDN outputs with configured pull domains; the simulator has none.
  return outputs.map((o) => ({
    StreamId: o.streamId ?? '',
    RTMP: '',
    HLS: '',
    FLV: '',
    Status: 0,
    UserName: '',
  }))
}

type RunFields =
  | 'appId'
  | 'instance'
  | 'startedAt'
  | 'updatedAt'
  | 'running'
  | 'endedAt'
  | 'endReason'
  | 'idleSince'
  | 'idleDeadline'

/** A new running instance of a task, started `now` and announced with `task_started`. */
function newTask(core: WorldCore, app: App, fields: Omit<MixTask, RunFields>, now: number): MixTask {
  core.counters.instance += 1
  const task: MixTask = {
    ...fields,
    appId: app.appId,
    instance: core.counters.instance,
    startedAt: now,
    updatedAt: now,
    running: true,
    endedAt: undefined,
    endReason: undefined,
    idleSince: undefined,
    idleDeadline: undefined,
  }
  core.running.set(key(app.appId, task.taskId), task)
  core.history.push(task)
  core.emit({ type: 'task_started', at: now, app, task: snapshot(task), seq: nextMixSeq(core, app.appId) })
  return task
}

/** What a start call sets on its task; an undefined optional field keeps a running task's value. */
interface TaskChange {
  userId: string
  inputs: MixInputRef[]
  outputs: MixOutputRef[]
  sequence: number | undefined
  roomId?: string | undefined
  maxIdleMs?: number | undefined
}

/**
 * A start call's task. Same TaskId as a running task: an update of it in place (inputs, outputs, idle
 * time, initiator), announced with `task_updated`. Otherwise a new task, whose `fresh` values stand
 * where the change leaves a field undefined.
 */
function startOrUpdate(
  core: WorldCore,
  app: App,
  existing: MixTask | undefined,
  change: TaskChange,
  fresh: Pick<MixTask, 'taskId' | 'kind' | 'roomId' | 'maxIdleMs'>,
  now: number,
): MixTask {
  if (existing === undefined)
    return newTask(
      core,
      app,
      {
        taskId: fresh.taskId,
        kind: fresh.kind,
        userId: change.userId,
        roomId: change.roomId ?? fresh.roomId,
        inputs: change.inputs,
        outputs: change.outputs,
        maxIdleMs: change.maxIdleMs ?? fresh.maxIdleMs,
        sequence: change.sequence,
      },
      now,
    )
  existing.inputs = change.inputs
  existing.outputs = change.outputs
  existing.userId = change.userId
  if (change.roomId !== undefined) existing.roomId = change.roomId
  if (change.maxIdleMs !== undefined) existing.maxIdleMs = change.maxIdleMs
  if (change.sequence !== undefined) existing.sequence = change.sequence
  existing.updatedAt = now
  core.emit({ type: 'task_updated', at: now, app, task: snapshot(existing) })
  return existing
}

/** ZEGO's StartMix / StartAutoMix answer for a running task. */
function startAnswer(task: MixTask): ZegoResult<StartMixData> {
  return {
    ok: true,
    data: {
      UserId: task.userId,
      Sequence: task.sequence ?? 0,
      RoomId: task.roomId,
      PlayInfo: playInfo(task.outputs),
    },
  }
}

export function startMix(
  core: WorldCore,
  app: App,
  cmd: StartMixCommand,
  now: number,
): ZegoResult<StartMixData> {
  const { rules } = core
  if (!app.mixEnabled) return fail(ZegoCode.MixNotEnabled, 'stream mixing is not enabled for this AppId')
  if (cmd.inputs.length === 0) return fail(ZegoCode.MixBadParameter, 'MixInput must not be empty')
  if (cmd.inputs.length > rules.maxInputs)
    return fail(ZegoCode.MixTooManyInputs, `at most ${rules.maxInputs} inputs`)
  const outputProblem = checkOutputs(core, cmd.outputs)
  if (outputProblem) return outputProblem
  if (hasDuplicates(cmd.inputs.map(inputKey)))
    return fail(ZegoCode.MixDuplicateInput, 'duplicate input stream')
  const outputIds = new Set(
    cmd.outputs.flatMap((o) => (o.url === undefined && o.streamId ? [o.streamId] : [])),
  )
  if (cmd.inputs.some((i) => i.kind === 'stream' && outputIds.has(i.streamId)))
    return fail(ZegoCode.MixSameInputOutput, 'a stream id is both input and output')
  if (
    cmd.maxIdleSec !== undefined &&
    (cmd.maxIdleSec < rules.minMaxIdleSec || cmd.maxIdleSec > rules.maxMaxIdleSec)
  )
    return fail(
      ZegoCode.MixBadParameter,
      `MaxIdleTime must be in [${rules.minMaxIdleSec}, ${rules.maxMaxIdleSec}]`,
    )

  const existing = core.running.get(key(app.appId, cmd.taskId))
  if (existing?.kind === 'auto')
    return fail(ZegoCode.MixBadParameter, 'TaskId belongs to a running auto-mix task: stop it first')
  const control = checkControl(app, existing, cmd.sequence, cmd.userId, true)
  if (control) return control
  const missing = cmd.inputs.filter(
    (i) => i.kind === 'stream' && !core.streams.get(key(app.appId, i.streamId))?.live,
  )
  if (missing.length > 0)
    return fail(ZegoCode.MixInputMissing, `input stream does not exist: ${missing.map(inputKey).join(', ')}`)

  const task = startOrUpdate(
    core,
    app,
    existing,
    {
      userId: cmd.userId,
      inputs: cmd.inputs,
      outputs: cmd.outputs,
      sequence: cmd.sequence,
      roomId: cmd.roomId,
      maxIdleMs: cmd.maxIdleSec === undefined ? undefined : cmd.maxIdleSec * 1000,
    },
    { taskId: cmd.taskId, kind: 'mix', roomId: '', maxIdleMs: rules.defaultMaxIdleSec * 1000 },
    now,
  )
  refreshTask(core, task, now)
  return startAnswer(task)
}

/** Stops any running task with this TaskId (mix or auto: ZEGO does not say they are separate). */
export function stopMix(core: WorldCore, app: App, cmd: StopMixCommand, now: number): ZegoResult<undefined> {
  const task = core.running.get(key(app.appId, cmd.taskId))
  if (task === undefined) return fail(ZegoCode.MixTaskNotFound, 'mix task does not exist')
  const control = checkControl(app, task, cmd.sequence, cmd.userId, false)
  if (control) return control
  endTask(core, task, now, 'stopped')
  return { ok: true, data: undefined }
}

export function startAutoMix(
  core: WorldCore,
  app: App,
  cmd: StartAutoMixCommand,
  now: number,
): ZegoResult<StartMixData> {
  if (!app.mixEnabled) return fail(ZegoCode.MixNotEnabled, 'stream mixing is not enabled for this AppId')
  const outputProblem = checkOutputs(core, cmd.outputs)
  if (outputProblem) return outputProblem
  const existing = core.running.get(key(app.appId, cmd.taskId))
  if (existing?.kind === 'mix')
    return fail(ZegoCode.MixBadParameter, 'TaskId belongs to a running StartMix task')
  const control = checkControl(app, existing, cmd.sequence, cmd.userId, true)
  if (control) return control

  let extra = existing?.inputs ?? []
  for (const { input, remove } of cmd.extraInputs) {
    extra = extra.filter((i) => inputKey(i) !== inputKey(input))
    if (!remove) extra.push(input)
  }
  if (extra.length > core.rules.maxInputs)
    return fail(ZegoCode.MixTooManyInputs, `at most ${core.rules.maxInputs} extra inputs`)

  const task = startOrUpdate(
    core,
    app,
    existing,
    { userId: cmd.userId, inputs: extra, outputs: cmd.outputs, sequence: cmd.sequence },
    { taskId: cmd.taskId, kind: 'auto', roomId: cmd.roomId, maxIdleMs: core.rules.autoMixIdleSec * 1000 },
    now,
  )
  // An auto task started in an empty (or not yet existing) room waits for streams: its idle clock runs.
  refreshTask(core, task, now)
  return startAnswer(task)
}

export function stopAutoMix(
  core: WorldCore,
  app: App,
  cmd: StopAutoMixCommand,
  now: number,
): ZegoResult<undefined> {
  return stopMix(core, app, { taskId: cmd.taskId, sequence: cmd.sequence, userId: cmd.userId }, now)
}

export function mixTaskInfo(
  core: WorldCore,
  app: App,
  taskId: string,
  now: number,
): ZegoResult<MixTaskInfoData> {
  const task = core.running.get(key(app.appId, taskId))
  if (task === undefined) return fail(ZegoCode.MixTaskNotFound, 'mix task does not exist')
  return {
    ok: true,
    data: { TaskInfo: { TaskId: task.taskId, MixDuration: Math.floor((now - task.startedAt) / 1000) } },
  }
}
