/**
 * `[...new Set(items)].sort()`: each string once, in code unit order. The core's lists (a task's
 * inputs, a stop's evidence) hold a few items: those are sorted by insertion, without a Set.
 */
export function sortedUnique(items: readonly string[]): string[] {
  if (items.length > 16) return [...new Set(items)].sort()
  const sorted: string[] = []
  for (const item of items) {
    let at = sorted.length
    while (at > 0 && (sorted[at - 1] as string) > item) at--
    if (sorted[at - 1] !== item) sorted.splice(at, 0, item)
  }
  return sorted
}
