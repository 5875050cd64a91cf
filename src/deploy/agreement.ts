/**
 * Compares a live answer with a shadow answer of the MLflow scoring protocol
 * (`{"predictions": [...]}`, or a bare list): per row a label (string, boolean, integer, an
 * object's `label`/`predicted_label`, or the argmax of a list) and numeric values (a float, a list
 * of numbers, an object's numeric fields such as `probability_<class>`).
 */
export interface Comparison {
  readonly rows: number
  readonly labelRows: number
  readonly labelsEqual: number
  readonly valuePairs: number
  readonly absDiffSum: number
}

export interface AgreementReport {
  readonly liveVersion?: string | undefined
  readonly shadowVersion?: string | undefined
  readonly shadowedRequests: number
  /** Shadow calls that failed or answered a non-2xx status while the live one succeeded. */
  readonly shadowErrors: number
  readonly comparedRows: number
  /** Share of rows with identical labels, among rows where both sides have a label; null if none. */
  readonly labelAgreement: number | null
  /** Mean absolute difference of paired numeric values; null if none. */
  readonly meanAbsoluteDifference: number | null
}

const rowsOf = (body: unknown): unknown[] | undefined => {
  if (Array.isArray(body)) return body
  if (body && typeof body === 'object') {
    const p = (body as Record<string, unknown>).predictions
    if (Array.isArray(p)) return p
    if (p && typeof p === 'object') return columnsToRows(p as Record<string, unknown>)
  }
  return undefined
}

/** `{"predictions": {"label": [...], "probability_a": [...]}}` (columnar) → rows. */
function columnsToRows(columns: Record<string, unknown>): unknown[] | undefined {
  const lists = Object.entries(columns).filter(([, v]) => Array.isArray(v)) as [string, unknown[]][]
  if (lists.length === 0) return undefined
  return lists[0]![1].map((_, i) => Object.fromEntries(lists.map(([k, v]) => [k, v[i]])))
}

function labelOf(row: unknown): string | undefined {
  if (typeof row === 'string' || typeof row === 'boolean') return String(row)
  if (typeof row === 'number') return Number.isInteger(row) ? String(row) : undefined
  if (Array.isArray(row)) {
    if (row.length < 2 || !row.every((v) => typeof v === 'number')) return undefined
    return String(row.indexOf(Math.max(...(row as number[]))))
  }
  if (row && typeof row === 'object') {
    const o = row as Record<string, unknown>
    const label = o.label ?? o.predicted_label ?? o.class
    return label === undefined || label === null ? undefined : String(label)
  }
  return undefined
}

function valuesOf(row: unknown): Map<string, number> {
  const out = new Map<string, number>()
  if (typeof row === 'number') out.set('', row)
  else if (Array.isArray(row)) {
    for (const [i, v] of row.entries()) if (typeof v === 'number') out.set(String(i), v)
  } else if (row && typeof row === 'object') {
    for (const [k, v] of Object.entries(row as Record<string, unknown>)) if (typeof v === 'number' && k !== 'label') out.set(k, v)
  }
  return out
}

/** Compares two parsed answers row by row; undefined when either has no predictions. */
export function comparePredictions(live: unknown, shadow: unknown): Comparison | undefined {
  const a = rowsOf(live)
  const b = rowsOf(shadow)
  if (!a || !b) return undefined
  let labelRows = 0,
    labelsEqual = 0,
    valuePairs = 0,
    absDiffSum = 0
  const rows = Math.min(a.length, b.length)
  for (let i = 0; i < rows; i++) {
    const [la, lb] = [labelOf(a[i]), labelOf(b[i])]
    if (la !== undefined && lb !== undefined) {
      labelRows++
      if (la === lb) labelsEqual++
    }
    const vb = valuesOf(b[i])
    for (const [key, va] of valuesOf(a[i])) {
      const other = vb.get(key)
      if (other === undefined) continue
      valuePairs++
      absDiffSum += Math.abs(va - other)
    }
  }
  return { rows, labelRows, labelsEqual, valuePairs, absDiffSum }
}

/** Running totals of comparisons between one live and one shadow version. */
export class AgreementStats {
  #requests = 0
  #errors = 0
  #rows = 0
  #labelRows = 0
  #labelsEqual = 0
  #valuePairs = 0
  #absDiffSum = 0

  constructor(
    readonly liveVersion?: string,
    readonly shadowVersion?: string,
  ) {}

  add(comparison: Comparison | undefined, isShadowError: boolean): void {
    this.#requests++
    if (isShadowError) this.#errors++
    if (!comparison) return
    this.#rows += comparison.rows
    this.#labelRows += comparison.labelRows
    this.#labelsEqual += comparison.labelsEqual
    this.#valuePairs += comparison.valuePairs
    this.#absDiffSum += comparison.absDiffSum
  }

  report(): AgreementReport {
    return {
      liveVersion: this.liveVersion,
      shadowVersion: this.shadowVersion,
      shadowedRequests: this.#requests,
      shadowErrors: this.#errors,
      comparedRows: this.#rows,
      labelAgreement: this.#labelRows === 0 ? null : this.#labelsEqual / this.#labelRows,
      meanAbsoluteDifference: this.#valuePairs === 0 ? null : this.#absDiffSum / this.#valuePairs,
    }
  }
}
