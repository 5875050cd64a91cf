/** One output tensor as ONNX Runtime returns it (int64 as BigInt64Array). */
export interface OutputTensor {
  readonly dims: readonly number[]
  readonly data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | readonly string[] | readonly (number | string)[]
}

export interface Prediction {
  readonly rowCount: number
  /** 'unknown' when the outputs match neither layout below; `outputs` still has them all. */
  readonly task: 'regression' | 'classification' | 'unknown'
  /** Regression: one value per row. */
  readonly values?: Float64Array | Float32Array
  /** Classification: the predicted label per row. */
  readonly labels?: readonly (number | string)[]
  /** Classification: row-major rowCount × classes. */
  readonly probabilities?: Float64Array | Float32Array
  /** Classification: labels in probability column order, when known. */
  readonly classes?: readonly (number | string)[]
  /** Every tensor output by name. */
  readonly outputs: Readonly<Record<string, OutputTensor>>
}

const size = (t: OutputTensor) => t.dims.reduce((a, b) => a * b, 1)
const isFloat = (t: OutputTensor) => t.data instanceof Float32Array || t.data instanceof Float64Array

/**
 * Reads predictions out of a model's outputs: Wharf's layout (`label` + `probability_<class>`, or
 * `prediction`), the usual converter layout (skl2onnx / onnxmltools: an integer or string label
 * output and an [N, K] float probability output), or a single float output of N values.
 */
export function interpretOutputs(outputs: Record<string, OutputTensor>, n: number, classes?: readonly (number | string)[]): Prediction {
  const entries = Object.entries(outputs)
  const label = entries.find(([, t]) => !isFloat(t) && size(t) === n)
  const perClass = entries.filter(([name, t]) => name.startsWith('probability_') && isFloat(t) && size(t) === n)
  if (label && perClass.length >= 2) {
    const K = perClass.length
    const probabilities = new Float64Array(n * K)
    perClass.forEach(([, t], k) => {
      for (let i = 0; i < n; i++) probabilities[i * K + k] = Number(t.data[i])
    })
    const known = classes ?? perClass.map(([name]) => name.slice('probability_'.length))
    return { rowCount: n, task: 'classification', labels: toLabels(label[1]), probabilities, classes: known, outputs }
  }
  const proba = entries.find(([, t]) => isFloat(t) && t.dims.length === 2 && t.dims[0] === n && (t.dims[1] ?? 0) >= 2)
  if (label) {
    const result = { rowCount: n, task: 'classification' as const, labels: toLabels(label[1]), outputs }
    return proba ? { ...result, probabilities: proba[1].data as Float32Array | Float64Array } : result
  }
  const floats = entries.filter(([, t]) => isFloat(t) && size(t) === n)
  if (floats.length === 1) return { rowCount: n, task: 'regression', values: floats[0]![1].data as Float32Array | Float64Array, outputs }
  return { rowCount: n, task: 'unknown', outputs }
}

function toLabels(t: OutputTensor): (number | string)[] {
  return Array.from(t.data as ArrayLike<unknown>, (v) => (typeof v === 'bigint' ? Number(v) : (v as number | string)))
}
