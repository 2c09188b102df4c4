import type { z } from 'zod'

/** The message field parsers use for an absent value (see fields.ts). */
export const MISSING = 'is missing'

const MAX_ISSUES = 5

/**
 * Zod issues as one line a person can act on: "missing field stream_id; field seq must be an
 * integer, got \"x\"". Parse with `reportInput: true` so an absent value reads as "missing".
 */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, MAX_ISSUES).map((issue) => {
    const path = issue.path.map(String).join('.')
    const absent =
      (issue.code === 'invalid_type' || issue.code === 'invalid_value') &&
      'input' in issue &&
      issue.input === undefined
    if (issue.message === MISSING || absent) return `missing field ${path}`
    if (issue.code === 'invalid_union' && 'discriminator' in issue) {
      return `field ${path} is not one of the known values`
    }
    if (path === '') return issue.message
    return issue.code === 'custom' ? `field ${path} ${issue.message}` : `field ${path}: ${issue.message}`
  })
  const more = issues.length > MAX_ISSUES ? `; and ${issues.length - MAX_ISSUES} more` : ''
  return lines.join('; ') + more
}
