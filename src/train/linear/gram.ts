import { meanOf, type ColumnMatrix } from '../preprocessing.js'

/** Rows per block when accumulating the Gram matrix (20 columns × 4096 rows ≈ 660 KB, cache-sized). */
const rowBlock = 4096

/** Column means of X and the mean of y, the centring of scikit-learn's `_preprocess_data` with fit_intercept. */
export function columnMeans(X: ColumnMatrix, y: Float64Array): { xMean: Float64Array; yMean: number } {
  const xMean = X.means ?? Float64Array.from(X.columns, meanOf)
  return { xMean, yMean: meanOf(y) }
}

/**
 * Xcᵀ Xc and Xcᵀ yc of the centred data (p × p, both triangles), without a centred copy of X: a
 * block of rows is centred into a cache-sized buffer, and every pair of columns is accumulated from
 * it while it is in cache. yc rides along as column p, so Xcᵀ yc is row p of the (p+1)² Gram of
 * [Xc | yc]. All of the lower triangle is accumulated two rows × four columns at a time (8 sums
 * from 6 loads per data row, instead of 2 loads per product); the block is padded with zero
 * columns so that the few products past the diagonal or the last row need no separate, slower
 * loop (they land in entries that are never read). Each entry still sums over the rows in order,
 * so the result is bit-identical to centring first and taking one dot product per pair.
 */
export function centredGram(X: ColumnMatrix, y: Float64Array, xMean: Float64Array, yMean: number): { gram: Float64Array; xty: Float64Array } {
  const { rows: n, cols: p, columns } = X
  const q = p + 1
  const width = Math.ceil((q + 1) / 4) * 4 // columns incl. zero padding: room for a 4-wide step past the last row
  const aug = new Float64Array(width * width) // [a * width + b]: the Gram of [Xc | yc], lower triangle used
  const block = new Float64Array(width * rowBlock) // column j of the block at j*rowBlock; columns q.. stay 0
  for (let start = 0; start < n; start += rowBlock) {
    const m = Math.min(n, start + rowBlock) - start
    for (let j = 0; j < p; j++) centreInto(block, j * rowBlock, columns[j]!, start, m, xMean[j]!)
    centreInto(block, p * rowBlock, y, start, m, yMean)
    for (let a = 0; a < q; a += 2) for (let b = 0; b <= a + 1; b += 4) add2x4(aug, width, block, a, b, m)
  }
  const gram = new Float64Array(p * p)
  for (let a = 0; a < p; a++) {
    for (let b = 0; b <= a; b++) gram[a * p + b] = gram[b * p + a] = aug[a * width + b]!
  }
  return { gram, xty: aug.slice(p * width, p * width + p) }
}

function centreInto(block: Float64Array, offset: number, column: Float64Array, start: number, m: number, mean: number): void {
  for (let i = 0; i < m; i++) block[offset + i] = column[start + i]! - mean
}

/** Adds the block's products to entries (a..a+1) × (b..b+3) of the Gram (row stride `width`). */
function add2x4(g: Float64Array, width: number, block: Float64Array, a: number, b: number, m: number): void {
  const x0o = a * rowBlock
  const x1o = x0o + rowBlock
  const yo = b * rowBlock
  const r0 = a * width + b
  const r1 = r0 + width
  let s00 = g[r0]!,
    s01 = g[r0 + 1]!,
    s02 = g[r0 + 2]!,
    s03 = g[r0 + 3]!
  let s10 = g[r1]!,
    s11 = g[r1 + 1]!,
    s12 = g[r1 + 2]!,
    s13 = g[r1 + 3]!
  for (let i = 0; i < m; i++) {
    const x0 = block[x0o + i]!
    const x1 = block[x1o + i]!
    const y0 = block[yo + i]!
    const y1 = block[yo + rowBlock + i]!
    const y2 = block[yo + 2 * rowBlock + i]!
    const y3 = block[yo + 3 * rowBlock + i]!
    s00 += x0 * y0
    s01 += x0 * y1
    s02 += x0 * y2
    s03 += x0 * y3
    s10 += x1 * y0
    s11 += x1 * y1
    s12 += x1 * y2
    s13 += x1 * y3
  }
  g[r0] = s00
  g[r0 + 1] = s01
  g[r0 + 2] = s02
  g[r0 + 3] = s03
  g[r1] = s10
  g[r1 + 1] = s11
  g[r1 + 2] = s12
  g[r1 + 3] = s13
}
