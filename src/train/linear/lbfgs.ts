/** f(x) and its gradient written into `grad`. */
export type Objective = (x: Float64Array, grad: Float64Array) => number

export interface LbfgsOptions {
  readonly maxIter: number
  /** Stop when the largest gradient component is at most this. */
  readonly gradientTol: number
  readonly memory?: number
}

export interface LbfgsResult {
  readonly x: Float64Array
  readonly value: number
  readonly iterations: number
  readonly converged: boolean
}

/**
 * Limited-memory BFGS (Nocedal & Wright, Algorithm 7.4/7.5) with a backtracking Armijo line search,
 * enough for the smooth convex losses Wharf fits.
 */
export function minimizeLbfgs(f: Objective, x0: Float64Array, options: LbfgsOptions): LbfgsResult {
  const n = x0.length
  const m = options.memory ?? 10
  const x = Float64Array.from(x0)
  const g = new Float64Array(n)
  let fx = f(x, g)
  const s: Float64Array[] = []
  const yv: Float64Array[] = []
  const rho: number[] = []
  const alphas = new Float64Array(m)
  const d = new Float64Array(n)
  const xNew = new Float64Array(n)
  const gNew = new Float64Array(n)
  let iter = 0
  for (; iter < options.maxIter; iter++) {
    if (maxAbs(g) <= options.gradientTol) return { x, value: fx, iterations: iter, converged: true }
    // Two-loop recursion: d = -H g.
    d.set(g)
    for (let k = s.length - 1; k >= 0; k--) {
      const a = rho[k]! * dotv(s[k]!, d)
      alphas[k] = a
      axpyv(-a, yv[k]!, d)
    }
    const gamma =
      s.length > 0 ? dotv(s[s.length - 1]!, yv[yv.length - 1]!) / dotv(yv[yv.length - 1]!, yv[yv.length - 1]!) : 1 / Math.max(1, Math.sqrt(dotv(g, g)))
    for (let i = 0; i < n; i++) d[i] = d[i]! * gamma
    for (let k = 0; k < s.length; k++) {
      const b = rho[k]! * dotv(yv[k]!, d)
      axpyv(alphas[k]! - b, s[k]!, d)
    }
    for (let i = 0; i < n; i++) d[i] = -d[i]!
    let slope = dotv(g, d)
    if (!(slope < 0)) {
      // Not a descent direction (numerical trouble): restart from steepest descent.
      s.length = yv.length = rho.length = 0
      for (let i = 0; i < n; i++) d[i] = -g[i]!
      slope = -dotv(g, g)
    }
    let step = 1
    let fNew = Number.NaN
    for (let tries = 0; tries < 50; tries++) {
      for (let i = 0; i < n; i++) xNew[i] = x[i]! + step * d[i]!
      fNew = f(xNew, gNew)
      if (fNew <= fx + 1e-4 * step * slope) break
      step *= 0.5
    }
    if (!(fNew <= fx)) return { x, value: fx, iterations: iter, converged: false }
    const sk = new Float64Array(n)
    const yk = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      sk[i] = xNew[i]! - x[i]!
      yk[i] = gNew[i]! - g[i]!
    }
    const sy = dotv(sk, yk)
    if (sy > 1e-12) {
      if (s.length === m) {
        s.shift()
        yv.shift()
        rho.shift()
      }
      s.push(sk)
      yv.push(yk)
      rho.push(1 / sy)
    }
    const decrease = fx - fNew
    x.set(xNew)
    g.set(gNew)
    fx = fNew
    if (decrease <= 64 * Number.EPSILON * Math.max(1, Math.abs(fx))) {
      return { x, value: fx, iterations: iter + 1, converged: true }
    }
  }
  return { x, value: fx, iterations: iter, converged: maxAbs(g) <= options.gradientTol }
}

function dotv(a: Float64Array, b: Float64Array): number {
  let s = 0
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!
  return s
}

function axpyv(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < x.length; i++) y[i] = y[i]! + a * x[i]!
}

function maxAbs(a: Float64Array): number {
  let m = 0
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]!))
  return m
}
