import { z } from 'zod'

/** The part of a reconciler's `GET /status.json` that `explain --reconciler` reads. */
const StatusJsonSchema = z.object({
  now: z.number(),
  apps: z.array(
    z.object({
      appId: z.number(),
      owned: z.boolean(),
      tasks: z.array(
        z.object({
          taskId: z.string(),
          phase: z.string(),
          inputs: z.array(z.object({ ref: z.string(), live: z.boolean().nullable() })).nullable(),
          supersededBy: z.string().nullable(),
          problem: z.string().nullable(),
        }),
      ),
      deadlines: z.array(z.object({ taskId: z.string(), what: z.string(), at: z.number() })),
    }),
  ),
})

/** One sentence on what a running reconciler holds about the task now (state, inputs, armed deadlines). */
export function describeCurrentState(body: unknown, appId: number, taskId: string, source: string): string {
  const parsed = StatusJsonSchema.safeParse(body)
  if (!parsed.success) return `Now: ${source} answered something that is not a reconciler status.`
  const { now, apps } = parsed.data
  const app = apps.find((a) => a.appId === appId)
  if (app === undefined) return `Now: ${source} does not serve app ${appId}.`
  if (!app.owned) return `Now: ${source} does not own app ${appId} (another reconciler of the group does).`
  const task = app.tasks.find((t) => t.taskId === taskId)
  if (task === undefined) return `Now: ${source} holds no running task ${taskId} (ended, or never seen).`
  const inputs =
    task.inputs === null
      ? 'inputs unknown'
      : `inputs ${task.inputs.map((i) => `${i.ref} ${i.live === null ? 'unknown' : i.live ? 'live' : 'gone'}`).join(', ')}`
  const deadlines = app.deadlines
    .filter((d) => d.taskId === taskId)
    .map(
      (d) => `${d.what} at ${new Date(d.at).toISOString()} (${Math.round((d.at - now) / 1000)} s from now)`,
    )
  const extra = [task.supersededBy ? `superseded by ${task.supersededBy}` : null, task.problem].filter(
    Boolean,
  )
  return `Now, per ${source}: ${task.phase}; ${inputs}; ${deadlines.length > 0 ? `armed: ${deadlines.join('; ')}` : 'no deadline armed'}${extra.length > 0 ? `; ${extra.join('; ')}` : ''}.`
}
