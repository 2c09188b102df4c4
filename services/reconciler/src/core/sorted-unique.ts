/**
 * `[...new Set(items)].sort()`: each string once, in code unit order. The core's lists (a task's
 * inputs, a stop's evidence) hold a few items: those are sorted by insertion (no Set, and no splice,
 * which allocates the array of what it removes), about twice as fast.
 */
export function sortedUnique(items: readonly string[]): string[] {
  if (items.length > 16) return [...new Set(items)].sort()
  const sorted: string[] = []
  for (const item of items) {
    let at = sorted.length
    while (at > 0 && (sorted[at - 1] as string) > item) at--
    // Never sorted[-1]: a negative index is a property lookup on the array and its prototypes, the slow path.
    if (at > 0 && sorted[at - 1] === item) continue
    sorted.push(item)
    for (let i = sorted.length - 1; i > at; i--) sorted[i] = sorted[i - 1] as string
    sorted[at] = item
  }
  return sorted
}
