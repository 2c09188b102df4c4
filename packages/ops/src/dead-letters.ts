import { decodeEvent, parseCallback, toEvent, type ZegoEvent } from '@mixguard/contracts'
import type { DeadLetterEntry } from './history.ts'

export type RedrivePlan = { entry: DeadLetterEntry } & (
  | { ok: true; event: ZegoEvent }
  | { ok: false; reason: string }
)

/**
 * Decides what a dead letter becomes with the code as it is now (after the fix): an authentic callback
 * ingest could not parse is parsed again; an events record the reconciler could not decode is decoded
 * again. Either way the result is an ordinary event for the events topic, with the same content-derived
 * id it would have had, so re-driving twice is harmless (the reconciler is idempotent per event id).
 */
export function planRedrive(entry: DeadLetterEntry): RedrivePlan {
  const { deadLetter } = entry
  if (deadLetter.source === 'ingest:callback') {
    const parsed = parseCallback(callbackBody(deadLetter.payload))
    if (!parsed.ok) return { entry, ok: false, reason: `still unparseable: ${parsed.kind}: ${parsed.reason}` }
    try {
      return { entry, ok: true, event: toEvent(parsed.callback, { receivedAt: deadLetter.receivedAt }) }
    } catch (error) {
      return { entry, ok: false, reason: `still not normalisable: ${(error as Error).message}` }
    }
  }
  if (/\.events\[\d+\]@\d+$/.test(deadLetter.source)) {
    const decoded = decodeEvent(deadLetter.payload)
    return decoded.ok
      ? { entry, ok: true, event: decoded.event }
      : { entry, ok: false, reason: `still undecodable: ${decoded.reason}` }
  }
  return { entry, ok: false, reason: `no re-drive for source ${deadLetter.source}` }
}

/** A callback body as ingest read it: JSON, else a form (repeated fields become lists). */
function callbackBody(payload: string): unknown {
  try {
    return JSON.parse(payload)
  } catch {
    const body = Object.create(null) as Record<string, string | string[]>
    for (const [key, value] of new URLSearchParams(payload)) {
      const seen = body[key]
      body[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]
    }
    return body
  }
}

/** One line per dead letter: id, time, app, source, reason. */
export function deadLetterLine(entry: DeadLetterEntry): string {
  const d = entry.deadLetter
  return `${entry.id.slice(0, 16)}  ${new Date(d.receivedAt).toISOString()}  app ${d.appId ?? '?'}  ${d.source}  ${d.reason}`
}
