/**
 * Mix callbacks carry `task_id` as `<appid>:<TaskId>` (ZEGO's example: appid 111111, task_id
 * `111111:1111`), while StartMix, StopMix and GetMixTaskInfo use the bare TaskId. Strip the prefix only
 * when it is exactly this event's own AppID and a colon: any other form (no prefix, another number, a
 * TaskId that merely contains ':') is kept as it is, because guessing would merge distinct tasks.
 */
export function normalizeTaskId(rawTaskId: string, appId: number): string {
  const prefix = `${appId}:`
  if (rawTaskId.startsWith(prefix) && rawTaskId.length > prefix.length) return rawTaskId.slice(prefix.length)
  return rawTaskId
}
