import type { Tree } from '../../models/index.js'

export type { Tree }

/** The leaf value reached by row i of a column-major matrix. */
export function predictTreeRow(tree: Tree, data: Float64Array, rows: number, i: number): number {
  let node = 0
  while (tree.left[node]! >= 0) {
    const x = data[tree.feature[node]! * rows + i]!
    const goLeft = Number.isNaN(x) ? tree.missingLeft[node]! : x <= tree.threshold[node]!
    node = goLeft ? tree.left[node]! : tree.right[node]!
  }
  return tree.value[node]!
}
