/** Regression and classification metrics, with scikit-learn's definitions. */

export function rmse(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < yTrue.length; i++) s += (yTrue[i]! - yPred[i]!) ** 2
  return Math.sqrt(s / yTrue.length)
}

export function mae(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let s = 0
  for (let i = 0; i < yTrue.length; i++) s += Math.abs(yTrue[i]! - yPred[i]!)
  return s / yTrue.length
}

export function r2(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let mean = 0
  for (let i = 0; i < yTrue.length; i++) mean += yTrue[i]!
  mean /= yTrue.length
  let ssRes = 0
  let ssTot = 0
  for (let i = 0; i < yTrue.length; i++) {
    ssRes += (yTrue[i]! - yPred[i]!) ** 2
    ssTot += (yTrue[i]! - mean) ** 2
  }
  return ssTot === 0 ? (ssRes === 0 ? 1 : 0) : 1 - ssRes / ssTot
}

/** Class indices (0..K-1) for the true and predicted labels. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  let hits = 0
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) hits++
  return hits / yTrue.length
}

/** Binary: F1 of class 1. Multiclass: macro average over classes (scikit-learn's average='macro'). */
export function f1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, classCount: number): number {
  const f1Of = (k: number) => {
    let tp = 0
    let fp = 0
    let fn = 0
    for (let i = 0; i < yTrue.length; i++) {
      const t = yTrue[i] === k
      const p = yPred[i] === k
      if (t && p) tp++
      else if (p) fp++
      else if (t) fn++
    }
    return tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)
  }
  if (classCount === 2) return f1Of(1)
  let s = 0
  for (let k = 0; k < classCount; k++) s += f1Of(k)
  return s / classCount
}

/** Mean negative log-likelihood; `proba` is row-major n × K. Clipped like scikit-learn (eps of float64). */
export function logLoss(yTrue: ArrayLike<number>, proba: ArrayLike<number>, classCount: number): number {
  const eps = 2.220446049250313e-16
  let s = 0
  for (let i = 0; i < yTrue.length; i++) {
    const p = Math.min(Math.max(proba[i * classCount + yTrue[i]!]!, eps), 1 - eps)
    s -= Math.log(p)
  }
  return s / yTrue.length
}

/** Area under the ROC curve of `score` for the positive class, with ties counted half (Mann–Whitney). */
export function binaryRocAuc(isPositive: ArrayLike<boolean>, score: ArrayLike<number>): number {
  const n = score.length
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[a]! - score[b]!)
  let positives = 0
  let rankSum = 0
  for (let i = 0; i < n; ) {
    let j = i
    while (j + 1 < n && score[order[j + 1]!] === score[order[i]!]) j++
    const rank = (i + j) / 2 + 1
    for (let k = i; k <= j; k++) {
      if (isPositive[order[k]!]) {
        positives++
        rankSum += rank
      }
    }
    i = j + 1
  }
  const negatives = n - positives
  if (positives === 0 || negatives === 0) return Number.NaN
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives)
}

/** Binary: AUC of class 1's probability. Multiclass: macro one-vs-rest average. */
export function rocAuc(yTrue: ArrayLike<number>, proba: ArrayLike<number>, classCount: number): number {
  const n = yTrue.length
  const aucOf = (k: number) => {
    const isPositive = new Array<boolean>(n)
    const score = new Float64Array(n)
    for (let i = 0; i < n; i++) {
      isPositive[i] = yTrue[i] === k
      score[i] = proba[i * classCount + k]!
    }
    return binaryRocAuc(isPositive, score)
  }
  if (classCount === 2) return aucOf(1)
  let s = 0
  for (let k = 0; k < classCount; k++) s += aucOf(k)
  return s / classCount
}

export function regressionMetrics(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): Record<string, number> {
  return { rmse: rmse(yTrue, yPred), mae: mae(yTrue, yPred), r2: r2(yTrue, yPred) }
}

export function classificationMetrics(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  proba: ArrayLike<number>,
  classCount: number,
): Record<string, number> {
  return {
    accuracy: accuracy(yTrue, yPred),
    f1: f1(yTrue, yPred, classCount),
    log_loss: logLoss(yTrue, proba, classCount),
    roc_auc: rocAuc(yTrue, proba, classCount),
  }
}
