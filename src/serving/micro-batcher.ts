import type { ColumnValues, OutputTensor, Prediction } from '../models/index.js'
import type { ColumnBatch } from './input-schema.js'

interface Pending {
  readonly batch: ColumnBatch
  resolve(p: Prediction): void
  reject(err: unknown): void
}

/**
 * Dynamic batching for ONNX models (as Triton's dynamic batcher): requests that arrive while a
 * batch is open are scored in one session run, then each gets its own rows back. A batch closes
 * at `maxRows` rows or after `maxWaitUs`; waits under a millisecond use setImmediate, which closes
 * the batch once the requests already read from the sockets are queued.
 */
export class MicroBatcher {
  readonly #run: (batch: ColumnBatch) => Promise<Prediction>
  readonly #maxRows: number
  readonly #maxWaitUs: number
  #queue: Pending[] = []
  #rows = 0
  #scheduled = false

  constructor(run: (batch: ColumnBatch) => Promise<Prediction>, maxRows: number, maxWaitUs: number) {
    this.#run = run
    this.#maxRows = maxRows
    this.#maxWaitUs = maxWaitUs
  }

  submit(batch: ColumnBatch): Promise<Prediction> {
    if (batch.rowCount >= this.#maxRows) return this.#run(batch) // already big: no reason to wait
    return new Promise((resolve, reject) => {
      this.#queue.push({ batch, resolve, reject })
      this.#rows += batch.rowCount
      if (this.#rows >= this.#maxRows) this.#flush()
      else if (!this.#scheduled) {
        this.#scheduled = true
        if (this.#maxWaitUs < 1000) setImmediate(() => this.#flush())
        else setTimeout(() => this.#flush(), Math.floor(this.#maxWaitUs / 1000))
      }
    })
  }

  #flush(): void {
    const queue = this.#queue
    this.#queue = []
    this.#rows = 0
    this.#scheduled = false
    if (queue.length === 0) return
    if (queue.length === 1) {
      this.#run(queue[0]!.batch).then(queue[0]!.resolve, queue[0]!.reject)
      return
    }
    this.#run(concatBatches(queue.map((p) => p.batch))).then(
      (prediction) => {
        let start = 0
        for (const p of queue) {
          p.resolve(slicePrediction(prediction, start, p.batch.rowCount))
          start += p.batch.rowCount
        }
      },
      // One bad request must not fail the others: score them one by one instead.
      () => {
        for (const p of queue) this.#run(p.batch).then(p.resolve, p.reject)
      },
    )
  }
}

export function concatBatches(batches: readonly ColumnBatch[]): ColumnBatch {
  const rowCount = batches.reduce((s, b) => s + b.rowCount, 0)
  const width = batches[0]!.columns.length
  const columns: ColumnValues[] = []
  for (let c = 0; c < width; c++) {
    const first = batches[0]!.columns[c]!
    if (first instanceof Float64Array) {
      const out = new Float64Array(rowCount)
      let at = 0
      for (const b of batches) {
        out.set(b.columns[c] as Float64Array, at)
        at += b.rowCount
      }
      columns.push(out)
    } else columns.push(batches.flatMap((b) => Array.from(b.columns[c] as ArrayLike<unknown>)))
  }
  return { rowCount, columns }
}

/** Rows [start, start + n) of a batched prediction, every tensor cut along its first axis. */
export function slicePrediction(p: Prediction, start: number, n: number): Prediction {
  const cut = <T extends { slice(a: number, b: number): T }>(a: T, width: number): T => a.slice(start * width, (start + n) * width)
  const outputs: Record<string, OutputTensor> = {}
  for (const [name, t] of Object.entries(p.outputs)) {
    const width = t.dims.slice(1).reduce((a, b) => a * b, 1)
    outputs[name] = { dims: [n, ...t.dims.slice(1)], data: cut(t.data as Float64Array, width) as OutputTensor['data'] }
  }
  const K = p.classes?.length ?? (p.probabilities ? p.probabilities.length / p.rowCount : 1)
  return {
    rowCount: n,
    task: p.task,
    outputs,
    ...(p.values ? { values: cut(p.values as Float64Array, 1) } : {}),
    ...(p.labels ? { labels: p.labels.slice(start, start + n) } : {}),
    ...(p.probabilities ? { probabilities: cut(p.probabilities as Float64Array, K) } : {}),
    ...(p.classes ? { classes: p.classes } : {}),
  }
}
