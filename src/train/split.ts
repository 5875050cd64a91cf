/** A small, fast, seedable PRNG (mulberry32) so splits and subsamples are reproducible by seed. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** 0..n-1 shuffled (Fisher–Yates) with the given seed. */
export function shuffledIndices(n: number, seed: number): Uint32Array {
  const rng = createRng(seed)
  const order = new Uint32Array(n)
  for (let i = 0; i < n; i++) order[i] = i
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = order[i]!
    order[i] = order[j]!
    order[j] = t
  }
  return order
}

export interface Split {
  readonly train: Uint32Array
  readonly test: Uint32Array
}

/**
 * A reproducible train/test split. Like scikit-learn's `train_test_split`, the test set has
 * ceil(n * testSize) rows; both index lists are sorted so row order is kept inside each set.
 */
export function trainTestSplit(n: number, testSize: number, seed: number): Split {
  if (!(testSize > 0 && testSize < 1)) throw new Error(`test size must be between 0 and 1 (exclusive), got ${testSize}`)
  const testCount = Math.ceil(n * testSize)
  if (testCount >= n) throw new Error(`a test size of ${testSize} leaves no training rows out of ${n}`)
  const order = shuffledIndices(n, seed)
  return { test: order.slice(0, testCount).sort(), train: order.slice(testCount).sort() }
}
