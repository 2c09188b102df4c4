/** One acknowledged callback: when its successful attempt was sent and answered, and where it landed. */
export interface Placed {
  sentAt: number
  ackedAt: number
  /** Its first position on the topic (its partition's order). */
  position: number
}

/**
 * Counts the callbacks B that landed before some callback A although A was acknowledged before B was
 * even sent. Callbacks in flight together may land in either order; this is the order a sender can see.
 */
export function orderInversions(placed: Placed[]): number {
  const byAck = [...placed].sort((a, b) => a.ackedAt - b.ackedAt)
  const bySend = [...placed].sort((a, b) => a.sentAt - b.sentAt)
  let i = 0
  let highest = -1
  let inversions = 0
  for (const b of bySend) {
    for (; i < byAck.length && (byAck[i] as Placed).ackedAt < b.sentAt; i++)
      highest = Math.max(highest, (byAck[i] as Placed).position)
    if (b.position < highest) inversions += 1
  }
  return inversions
}
