/**
 * MLflow model signatures (mlflow/types/schema.py): column-based or tensor-based input and output
 * schemas, stored in MLmodel as JSON strings.
 */
export type ColumnType = 'boolean' | 'integer' | 'long' | 'float' | 'double' | 'string' | 'binary' | 'datetime'

export interface ColumnSpec {
  readonly type: ColumnType | 'any' | { readonly type: string }
  readonly name?: string
  readonly required?: boolean
}

export interface TensorSpec {
  readonly type: 'tensor'
  readonly 'tensor-spec': { readonly dtype: string; readonly shape: readonly number[] }
  readonly name?: string
}

export type SchemaSpec = readonly ColumnSpec[] | readonly TensorSpec[]

export interface Signature {
  readonly inputs: SchemaSpec
  readonly outputs?: SchemaSpec
}

export function isTensorSchema(schema: SchemaSpec): schema is readonly TensorSpec[] {
  return schema.length > 0 && schema.every((s) => s.type === 'tensor')
}

/** The MLmodel `signature` block: each schema as a JSON string, as MLflow writes it. */
export function signatureToMlmodel(signature: Signature): Record<string, string | null> {
  return {
    inputs: JSON.stringify(signature.inputs),
    outputs: signature.outputs === undefined ? null : JSON.stringify(signature.outputs),
    params: null,
  }
}

/** Parses the MLmodel `signature` block; throws naming the bad part. */
export function signatureFromMlmodel(block: unknown): Signature | undefined {
  if (block === undefined || block === null) return undefined
  if (typeof block !== 'object') throw new Error('MLmodel signature must be a mapping')
  const { inputs, outputs } = block as Record<string, unknown>
  const parse = (raw: unknown, what: string): SchemaSpec | undefined => {
    if (raw === undefined || raw === null) return undefined
    const value: unknown = typeof raw === 'string' ? JSON.parse(raw) : raw
    if (!Array.isArray(value) || !value.every((s) => s !== null && typeof s === 'object' && 'type' in s)) {
      throw new Error(`MLmodel signature ${what} must be a list of column or tensor specs`)
    }
    return value as SchemaSpec
  }
  const parsedInputs = parse(inputs, 'inputs')
  if (parsedInputs === undefined) return undefined
  const parsedOutputs = parse(outputs, 'outputs')
  return parsedOutputs === undefined ? { inputs: parsedInputs } : { inputs: parsedInputs, outputs: parsedOutputs }
}

/** Input column names of a column-based signature (in order), or undefined for tensor schemas. */
export function inputColumnNames(signature: Signature | undefined): string[] | undefined {
  if (signature === undefined || isTensorSchema(signature.inputs)) return undefined
  const names = (signature.inputs as readonly ColumnSpec[]).map((c) => c.name)
  return names.every((n): n is string => typeof n === 'string') ? names : undefined
}
