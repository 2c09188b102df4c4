import type { AppPolicy } from './policy.ts'

type GraceKind = keyof AppPolicy['graceMs']

export interface CloseClass {
  grace: GraceKind
  /** Named in the decision's rule as `grace:<label>`. */
  label: string
}

/** stream_close.type (docs/zego.md §7.5). */
const KNOWN: Record<number, CloseClass> = {
  0: { grace: 'normal', label: 'normal_close' },
  1: { grace: 'reconnectable', label: 'heartbeat_timeout' },
  2: { grace: 'reconnectable', label: 'relogin' },
  3: { grace: 'normal', label: 'kicked' },
  4: { grace: 'reconnectable', label: 'tcp_disconnect' },
  5: { grace: 'roomGone', label: 'room_cleared' },
  100: { grace: 'normal', label: 'delete_stream' },
}

/** A type ZEGO adds later gets the reconnectable grace: the long wait is the safe guess. */
export function classifyClose(type: number): CloseClass {
  return KNOWN[type] ?? { grace: 'reconnectable', label: `close_type_${type}` }
}

export const ROOM_CLOSED: CloseClass = { grace: 'roomGone', label: 'room_closed' }
export const OBSERVED_ABSENT: CloseClass = { grace: 'observedAbsent', label: 'observed_absent' }
