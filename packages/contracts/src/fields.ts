import { z } from 'zod'
import { MISSING } from './issues.ts'

/**
 * Field parsers for raw ZEGO callbacks. ZEGO documents most values as strings, `room_close` sends
 * numbers, and the 2022 mix pages said Uint/Int: every parser takes a string or a number and gives
 * one normalised type. Problems are phrased to finish "field <name> …" in a human-readable reason.
 */
type Parsed<T> = { value: T } | { problem: string }

function issue(ctx: z.RefinementCtx, message: string): typeof z.NEVER {
  ctx.addIssue({ code: 'custom', message })
  return z.NEVER
}

/** What a field schema does, as a plain function: the callback hot path reads with these (field-reader.ts). */
export type FieldRead = (value: unknown) => Parsed<unknown>
const readers = new WeakMap<z.ZodType, FieldRead>()

/** The plain function behind a field schema of this file, if `schema` is one. */
export function fieldRead(schema: z.ZodType): FieldRead | undefined {
  return readers.get(schema)
}

/** A field schema that runs `read`: zod's issue on a problem, else the value. */
function field<T>(read: (value: unknown) => Parsed<T>) {
  const schema = z.unknown().transform((value, ctx): T => {
    const parsed = read(value)
    return 'problem' in parsed ? issue(ctx, parsed.problem) : parsed.value
  })
  readers.set(schema, read)
  return schema
}

/** A field that must be present (null or absent is an error). */
function required<T>(parse: (value: unknown) => Parsed<T>) {
  return field((value): Parsed<T> => {
    if (value === undefined) return { problem: MISSING }
    if (value === null) return { problem: 'is null' }
    return parse(value)
  })
}

/** A field that may be absent; absent, null and '' (forms send empty values) all give `absent`. */
function optional<T, A>(parse: (value: unknown) => Parsed<T>, absent: A) {
  return field((value): Parsed<T | A> => {
    if (value === undefined || value === null || value === '') return { value: absent }
    return parse(value)
  })
}

export function show(value: unknown): string {
  if (Array.isArray(value)) return `a list of ${value.length}`
  if (typeof value === 'object' && value !== null) return 'an object'
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value)
  return text.length > 40 ? `${text.slice(0, 37)}…` : text
}

/** Forms give an array for a repeated key; a scalar field must still hold one value. */
function single(value: unknown): Parsed<unknown> {
  if (!Array.isArray(value)) return { value }
  if (value.length === 1) return { value: value[0] }
  return { problem: `must be one value, got ${show(value)}` }
}

function asText(value: unknown): Parsed<string> {
  const one = single(value)
  if ('problem' in one) return one
  if (typeof one.value === 'string') return { value: one.value }
  if (typeof one.value === 'number' && Number.isFinite(one.value)) return { value: String(one.value) }
  return { problem: `must be a string, got ${show(one.value)}` }
}

function asNonEmptyText(value: unknown): Parsed<string> {
  const text = asText(value)
  return 'value' in text && text.value === '' ? { problem: 'is empty' } : text
}

function asInteger(value: unknown): Parsed<number> {
  const one = single(value)
  if ('problem' in one) return one
  const v = one.value
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : Number.NaN
  if (Number.isSafeInteger(n)) return { value: n }
  return { problem: `must be an integer, got ${show(v)}` }
}

function asAppId(value: unknown): Parsed<number> {
  const n = asInteger(value)
  if ('problem' in n) return n
  if (n.value < 1 || n.value > 0xffffffff) return { problem: `must be a uint32 AppID, got ${n.value}` }
  return n
}

/**
 * room_session_id is a UInt64: kept as decimal text, because a number above 2^53 cannot be held
 * exactly. (If a JSON body sent it as a number, JSON.parse has already rounded it; nothing can undo that.)
 */
function asDecimalText(value: unknown): Parsed<string> {
  const one = single(value)
  if ('problem' in one) return one
  const v = one.value
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return { value: BigInt(v).toString() }
  if (typeof v === 'string' && v !== '') return { value: v }
  return { problem: `must be a decimal id, got ${show(v)}` }
}

function asFlag(value: unknown): Parsed<boolean> {
  const one = single(value)
  if ('problem' in one) return one
  const v = one.value
  if (v === 1 || v === '1' || v === true || v === 'true') return { value: true }
  if (v === 0 || v === '0' || v === false || v === 'false') return { value: false }
  return { problem: `must be 0 or 1, got ${show(v)}` }
}

function asTextList(value: unknown): Parsed<string[]> {
  const items = Array.isArray(value) ? value : [value]
  const out: string[] = []
  for (const item of items) {
    const text = asText(item)
    if ('problem' in text) return { problem: `must be a list of strings, got ${show(item)} in it` }
    out.push(text.value)
  }
  return { value: out }
}

/** For reading single values outside a schema (signature fields): the value, or null when unusable. */
export function readText(value: unknown): string | null {
  if (value === undefined || value === null) return null
  const text = asText(value)
  return 'value' in text ? text.value : null
}

export function readInteger(value: unknown): number | null {
  if (value === undefined || value === null || value === '') return null
  const n = asInteger(value)
  return 'value' in n ? n.value : null
}

export function readAppId(value: unknown): number | null {
  if (value === undefined || value === null) return null
  const id = asAppId(value)
  return 'value' in id ? id.value : null
}

export const appIdField = () => required(asAppId)
/** An id or name that must be present and non-empty. */
export const idField = () => required(asNonEmptyText)
export const textField = () => optional(asText, null)
export const integerField = () => required(asInteger)
export const optionalIntegerField = () => optional(asInteger, null)
export const decimalIdField = () => required(asDecimalText)
export const flagField = () => optional(asFlag, false)
/** Play and snapshot URLs: a list, a single value from a form, or nothing. */
export const textListField = () => optional(asTextList, [] as string[])
