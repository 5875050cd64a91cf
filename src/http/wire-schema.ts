import { z } from 'zod'
import { invalidParameter, missingParameter } from '../errors.js'

/**
 * Zod building blocks for MLflow's request encoding (docs/protocols.md §0): int64 as a number or a
 * numeric string, doubles with "NaN"/"Infinity" spelled as strings, enums by name or number,
 * repeated GET keys as one value or many. Unknown fields are dropped, as the MLflow parser does.
 */
export const int64 = z.union([
  z.number().int(),
  z
    .string()
    .regex(/^-?\d+$/, 'expected an integer')
    .transform(Number),
])

const specialDoubles: Record<string, number> = {
  NaN: Number.NaN,
  Infinity: Infinity,
  '-Infinity': -Infinity,
  nan: Number.NaN,
  inf: Infinity,
  '-inf': -Infinity,
}

export const double = z.union([
  z.number(),
  z.string().transform((s, ctx) => {
    const special = specialDoubles[s]
    if (special !== undefined) return special
    const n = Number(s)
    if (s.trim() === '' || Number.isNaN(n)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got '${s.slice(0, 40)}'` })
      return z.NEVER
    }
    return n
  }),
])

export const bool = z.union([z.boolean(), z.enum(['true', 'false', 'True', 'False']).transform((s) => s.toLowerCase() === 'true')])

/** A protobuf enum accepted by name or by number. */
export function protoEnum<const T extends readonly [string, ...string[]]>(names: T, numbers: Readonly<Record<number, T[number]>>) {
  return z.union([
    z.enum(names),
    z.union([z.number().int(), z.string().regex(/^\d+$/).transform(Number)]).transform((n, ctx) => {
      const name = numbers[n]
      if (name === undefined) {
        ctx.addIssue({ code: 'custom', message: `expected one of ${names.join(', ')}` })
        return z.NEVER
      }
      return name
    }),
  ])
}

/** A query key that may be repeated (`run_ids=a&run_ids=b`) or a JSON list. */
export const repeated = <T extends z.ZodType>(item: T) => z.preprocess((v) => (v === undefined || Array.isArray(v) ? v : [v]), z.array(item))

const keyValue = z.object({
  key: z.string(),
  value: z
    .string()
    .nullish()
    .transform((v) => v ?? ''),
})
export const keyValues = z
  .array(keyValue)
  .nullish()
  .transform((v) => v ?? [])

/** Parses a request's fields, turning the first problem into MLflow's INVALID_PARAMETER_VALUE. */
export function parseInput<S extends z.ZodType>(schema: S, data: unknown): z.infer<S> {
  const result = schema.safeParse(data ?? {})
  if (result.success) return result.data
  const issue = result.error.issues[0]!
  const path = issue.path
    .map((p) => (typeof p === 'number' ? `[${p}]` : String(p)))
    .join('.')
    .replaceAll('.[', '[')
  if (valueAt(data, issue.path) === undefined) throw missingParameter(path)
  throw invalidParameter(`Invalid value for parameter '${path}': ${issue.message}`)
}

function valueAt(data: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = data
  for (const p of path) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<PropertyKey, unknown>)[p]
  }
  return v
}
