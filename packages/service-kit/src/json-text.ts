export type JsonText = { ok: true; value: unknown } | { ok: false; problem: string }

/**
 * JSON.parse for files that hold secrets. V8's syntax errors quote the text around the fault (a
 * secret, often), so the problem names only the place: line and column, or the end of the text.
 */
export function parseJsonText(text: string): JsonText {
  try {
    return { ok: true, value: JSON.parse(text) }
  } catch (error) {
    const position = /at position (\d+)/.exec((error as Error).message)?.[1]
    if (position === undefined) return { ok: false, problem: 'a syntax error (or it ends too early)' }
    const before = text.slice(0, Number(position)).split('\n')
    const line = before.length
    const column = (before.at(-1)?.length ?? 0) + 1
    return { ok: false, problem: `a syntax error at line ${line}, column ${column}` }
  }
}
