import { binCounts, buildHistogram, histogramSize, type PackedBins } from './histogram.js'
import type { Tree } from './tree.js'

export interface GrowerOptions {
  readonly maxLeafNodes: number | null
  readonly maxDepth: number | null
  readonly minSamplesLeaf: number
  readonly l2Regularization: number
  readonly learningRate: number
  /** Hessians are all 1 (squared error): counts stand in for them and are not accumulated. */
  readonly constantHessian: boolean
}

/** Binned training data shared by every tree. */
export interface BinnedData {
  readonly packed: PackedBins // row-wise, for histograms
  readonly binsByFeature: Uint8Array // column-major: feature j's bins at [j*rows, (j+1)*rows), for partitions
  readonly rows: number
  readonly features: number
  readonly edges: readonly Float64Array[] // per feature, see BinMapper
  readonly missingBin: number
  readonly binCount: number // missingBin + 1
}

interface Split {
  gain: number
  feature: number
  bin: number
  missingLeft: boolean
  gLeft: number
  hLeft: number
  nLeft: number
}

interface Leaf {
  readonly node: number
  readonly start: number
  readonly end: number
  readonly depth: number
  readonly g: number
  readonly h: number
  hist: Float64Array // see histogram.ts for the layout
  split: Split | undefined
}

const minHessianToSplit = 1e-3

/**
 * Grows one tree best-first (highest gain leaf first), as scikit-learn's `TreeGrower`: histograms
 * of gradient/hessian sums per bin, the smaller child's histogram built and the larger one
 * obtained by subtraction, missing values tried on both sides. Every tree starts from the same
 * training rows, whose indices are permuted in place so each leaf owns a contiguous range;
 * `rowUpdate` receives each row's leaf value so the caller can update raw predictions without
 * re-walking the tree.
 */
export class TreeGrower {
  readonly #data: BinnedData
  readonly #options: GrowerOptions
  readonly #rows: Uint32Array
  readonly #order: Uint32Array
  readonly #scratch: Uint32Array
  readonly #goesLeft = new Uint8Array(256) // per split: 1 if a bin goes to the left child
  /** The root's bin counts: the same rows every tree, so counted once (the first tree). */
  #rootCounts: Float64Array | undefined
  readonly #pool: Float64Array[] = []
  readonly #width: 2 | 3 // doubles per histogram cell, see histogram.ts

  constructor(data: BinnedData, options: GrowerOptions, rows: Uint32Array) {
    this.#data = data
    this.#options = options
    this.#rows = rows
    this.#order = new Uint32Array(rows.length)
    this.#scratch = new Uint32Array(rows.length)
    this.#width = options.constantHessian ? 2 : 3
  }

  grow(gradients: Float64Array, hessians: Float64Array, rowUpdate: Float64Array): Tree {
    const order = this.#order
    order.set(this.#rows)
    const tree: Tree = { feature: [], threshold: [], left: [], right: [], missingLeft: [], value: [] }
    const addNode = () => {
      tree.feature.push(-1)
      tree.threshold.push(0)
      tree.left.push(-1)
      tree.right.push(-1)
      tree.missingLeft.push(false)
      tree.value.push(0)
      return tree.feature.length - 1
    }
    const options = this.#options
    let g = 0
    let h = 0
    for (let i = 0; i < order.length; i++) g += gradients[order[i]!]!
    if (options.constantHessian) h = order.length
    else for (let i = 0; i < order.length; i++) h += hessians[order[i]!]!
    const hist = this.#buildHistogram(order, 0, order.length, gradients, hessians, this.#rootCounts)
    this.#rootCounts ??= binCounts(hist, this.#width)
    const root: Leaf = { node: addNode(), start: 0, end: order.length, depth: 0, g, h, hist, split: undefined }
    root.split = this.#findSplit(root)
    const open: Leaf[] = [root]
    let leafCount = 1
    while (open.length > 0) {
      let best = 0
      for (let k = 1; k < open.length; k++) if ((open[k]!.split?.gain ?? -1) > (open[best]!.split?.gain ?? -1)) best = k
      const leaf = open[best]!
      if (leaf.split === undefined || (options.maxLeafNodes !== null && leafCount >= options.maxLeafNodes)) break
      open.splice(best, 1)
      const [left, right] = this.#splitLeaf(leaf, order, gradients, hessians, tree, addNode)
      leafCount++
      for (const child of [left, right]) {
        child.split = options.maxDepth !== null && child.depth >= options.maxDepth ? undefined : this.#findSplit(child)
        open.push(child)
      }
    }
    for (const leaf of open) {
      const value = (-leaf.g / (leaf.h + options.l2Regularization)) * options.learningRate
      tree.value[leaf.node] = value
      for (let i = leaf.start; i < leaf.end; i++) rowUpdate[order[i]!] = value
      this.#pool.push(leaf.hist)
    }
    return tree
  }

  #splitLeaf(leaf: Leaf, order: Uint32Array, gradients: Float64Array, hessians: Float64Array, tree: Tree, addNode: () => number): [Leaf, Leaf] {
    const s = leaf.split!
    const d = this.#data
    const column = d.binsByFeature.subarray(s.feature * d.rows, (s.feature + 1) * d.rows)
    // Stable, branch-free partition of order[start, end) into left then right: a row is written to
    // both buffers and only the matching cursor advances (left/right is a coin flip for the CPU).
    // The side comes from a 256-entry table rather than comparisons, which V8 compiles to branches.
    const goesLeft = this.#goesLeft
    for (let b = 0; b < goesLeft.length; b++) goesLeft[b] = b === d.missingBin ? (s.missingLeft ? 1 : 0) : b <= s.bin ? 1 : 0
    const scratch = this.#scratch
    let l = leaf.start
    let r = 0
    for (let i = leaf.start; i < leaf.end; i++) {
      const row = order[i]!
      const left = goesLeft[column[row]!]!
      order[l] = row
      scratch[r] = row
      l += left
      r += 1 - left
    }
    order.set(this.#scratch.subarray(0, r), l)
    const edges = d.edges[s.feature]!
    tree.feature[leaf.node] = s.feature
    tree.threshold[leaf.node] = s.bin < edges.length ? edges[s.bin]! : Number.MAX_VALUE
    tree.missingLeft[leaf.node] = s.missingLeft
    const leftNode = addNode()
    const rightNode = addNode()
    tree.left[leaf.node] = leftNode
    tree.right[leaf.node] = rightNode
    const mid = l
    const smallIsLeft = mid - leaf.start <= leaf.end - mid
    const small = smallIsLeft
      ? this.#buildHistogram(order, leaf.start, mid, gradients, hessians)
      : this.#buildHistogram(order, mid, leaf.end, gradients, hessians)
    const large = leaf.hist // reuse the parent's buffer: parent - small
    for (let k = 0; k < large.length; k++) large[k] = large[k]! - small[k]!
    const depth = leaf.depth + 1
    const left: Leaf = { node: leftNode, start: leaf.start, end: mid, depth, g: s.gLeft, h: s.hLeft, hist: smallIsLeft ? small : large, split: undefined }
    const right: Leaf = {
      node: rightNode,
      start: mid,
      end: leaf.end,
      depth,
      g: leaf.g - s.gLeft,
      h: leaf.h - s.hLeft,
      hist: smallIsLeft ? large : small,
      split: undefined,
    }
    return [left, right]
  }

  #buildHistogram(order: Uint32Array, start: number, end: number, gradients: Float64Array, hessians: Float64Array, counts?: Float64Array): Float64Array {
    const d = this.#data
    const width = this.#width
    const hist = this.#pool.pop() ?? new Float64Array(histogramSize(d.packed, d.binCount, width))
    buildHistogram(hist, d.packed, d.binCount, order, start, end, gradients, width === 2 ? undefined : hessians, counts)
    return hist
  }

  #findSplit(leaf: Leaf): Split | undefined {
    const options = this.#options
    const d = this.#data
    const count = leaf.end - leaf.start
    if (count < 2 * options.minSamplesLeaf) return undefined
    const lambda = options.l2Regularization
    const parentScore = (leaf.g * leaf.g) / (leaf.h + lambda)
    let best: Split | undefined
    const hist = leaf.hist
    const width = this.#width
    const c = width - 1 // count slot; the hessian slot is 1, which is the count when hessians are all 1
    for (let f = 0; f < d.features; f++) {
      const base = f * d.binCount * width
      const nb = d.edges[f]!.length + 1 // non-missing bins of this feature
      const mk = base + d.missingBin * width
      const gMiss = hist[mk]!
      const hMiss = hist[mk + 1]!
      const nMiss = hist[mk + c]!
      for (const missingLeft of nMiss > 0 ? [false, true] : [false]) {
        let gl = missingLeft ? gMiss : 0
        let hl = missingLeft ? hMiss : 0
        let nl = missingLeft ? nMiss : 0
        // With missing values on the right, "all non-missing left" is a valid split too.
        const lastBin = nMiss > 0 && !missingLeft ? nb - 1 : nb - 2
        for (let b = 0; b <= lastBin; b++) {
          const k = base + b * width
          gl += hist[k]!
          hl += hist[k + 1]!
          nl += hist[k + c]!
          const nr = count - nl
          if (nl < options.minSamplesLeaf) continue
          if (nr < options.minSamplesLeaf) break
          const hr = leaf.h - hl
          if (hl < minHessianToSplit || hr < minHessianToSplit) continue
          const gr = leaf.g - gl
          const gain = (gl * gl) / (hl + lambda) + (gr * gr) / (hr + lambda) - parentScore
          if (gain > 1e-12 && (best === undefined || gain > best.gain)) {
            best = { gain, feature: f, bin: b, missingLeft: nMiss > 0 ? missingLeft : nl >= nr, gLeft: gl, hLeft: hl, nLeft: nl }
          }
        }
      }
    }
    return best
  }
}
