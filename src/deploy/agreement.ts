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

/** How far back a windowed agreement report may look: per-second totals are kept this long. */
export const maxAgreementWindowMs = 24 * 3600_000

/** Totals of the comparisons in one second (or since the start, for the running totals). */
interface Totals {
  requests: number
  errors: number
  rows: number
  labelRows: number
  labelsEqual: number
  valuePairs: number
  absDiffSum: number
}

const zero = (): Totals => ({ requests: 0, errors: 0, rows: 0, labelRows: 0, labelsEqual: 0, valuePairs: 0, absDiffSum: 0 })

function addInto(t: Totals, comparison: Comparison | undefined, isShadowError: boolean): void {
  t.requests++
  if (isShadowError) t.errors++
  if (!comparison) return
  t.rows += comparison.rows
  t.labelRows += comparison.labelRows
  t.labelsEqual += comparison.labelsEqual
  t.valuePairs += comparison.valuePairs
  t.absDiffSum += comparison.absDiffSum
}

/**
 * Comparisons between one live and one shadow version: running totals since the shadow was
 * deployed, and totals per second of the last day, so that a report can cover a sliding window
 * (the `monitor` gate judges disagreement over its `window`, not since the start: a shadow that
 * disagreed an hour ago and agrees now, or the reverse, is judged on now). Memory stays bounded:
 * at most one entry per second of the last `maxAgreementWindowMs`.
 */
export class AgreementStats {
  readonly #total = zero()
  /** Per-second totals, oldest first, keyed by the second (Unix time / 1000, floored). */
  readonly #seconds: { second: number; totals: Totals }[] = []

  constructor(
    readonly liveVersion?: string,
    readonly shadowVersion?: string,
  ) {}

  /** `time` (Unix ms) is when the request arrived; records come roughly in order (a harvest may lag by seconds). */
  add(comparison: Comparison | undefined, isShadowError: boolean, time = Date.now()): void {
    addInto(this.#total, comparison, isShadowError)
    const second = Math.floor(time / 1000)
    const latest = this.#seconds.at(-1)
    let bucket = latest?.second === second ? latest : this.#seconds.findLast((b) => b.second === second)
    if (bucket === undefined) {
      bucket = { second, totals: zero() }
      // Usually appended; a record that arrives late goes in its place.
      const at = this.#seconds.findLastIndex((b) => b.second < second) + 1
      this.#seconds.splice(at, 0, bucket)
    }
    addInto(bucket.totals, comparison, isShadowError)
    const oldest = (this.#seconds.at(-1)?.second ?? second) - maxAgreementWindowMs / 1000
    while (this.#seconds.length > 0 && this.#seconds[0]!.second < oldest) this.#seconds.shift()
  }

  /** Since the shadow was deployed, or, with `sinceMs` (Unix ms), over the requests that arrived since then. */
  report(sinceMs?: number): AgreementReport {
    let t = this.#total
    if (sinceMs !== undefined) {
      t = zero()
      const first = Math.floor(sinceMs / 1000)
      for (const b of this.#seconds) if (b.second >= first) for (const k of Object.keys(t) as (keyof Totals)[]) t[k] += b.totals[k]
    }
    return {
      liveVersion: this.liveVersion,
      shadowVersion: this.shadowVersion,
      shadowedRequests: t.requests,
      shadowErrors: t.errors,
      comparedRows: t.rows,
      labelAgreement: t.labelRows === 0 ? null : t.labelsEqual / t.labelRows,
      meanAbsoluteDifference: t.valuePairs === 0 ? null : t.absDiffSum / t.valuePairs,
    }
  }
}
