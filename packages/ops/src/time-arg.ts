const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A point in time from the command line: a duration before `now` (`90s`, `30m`, `24h`, `7d`), an ISO
 * date, or epoch milliseconds. null when it is none of them.
 */
export function parseTimeArg(text: string, now: number): number | null {
  const duration = /^(\d+(?:\.\d+)?)([smhd])$/.exec(text.trim())
  if (duration) return now - Number(duration[1]) * (UNITS[duration[2] as string] ?? 0)
  if (/^\d{10,}$/.test(text.trim())) return Number(text.trim())
  const date = Date.parse(text)
  return Number.isNaN(date) ? null : date
}
