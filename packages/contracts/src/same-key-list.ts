/**
 * Whether two key lists are the same keys in the same order. Objects of one shape come in long runs
 * on the callback path, so a step that depends only on an object's keys keeps what it made of the last
 * list and checks the next against it (Object.keys gives interned strings: each check is a pointer's).
 */
export function sameKeyList(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}
