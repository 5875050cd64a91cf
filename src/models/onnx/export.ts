import { featureCountOf, outputNamesOf, type Tree, type WharfModelSpec } from '../wharf-model.js'
import { GraphBuilder } from './graph-builder.js'
import { DataType } from './onnx-proto.js'

/**
 * Writes a Wharf model spec as an ONNX graph with standard operators only, so any ONNX runtime
 * (and MLflow's `mlflow.onnx` pyfunc) can serve it from raw rows:
 *
 * - One graph input per raw column, named after it: `tensor(double)` for numeric columns and
 *   `tensor(string)` for string columns, without a declared shape. MLflow's onnx pyfunc feeds a
 *   DataFrame column by column when a model has several inputs (1-D arrays of shape [N]) and the
 *   whole `df.values` (shape [N, 1]) when it has one, so each input is reshaped to [N, 1] first.
 *   A single 2-D float input could not carry string columns, and double inputs are fed by MLflow
 *   without a float32 cast, so Wharf's own models keep float64 precision end to end.
 * - Preprocessing learned in training: one-hot (ai.onnx.ml OneHotEncoder), mean imputation
 *   (IsNaN + Where), standardisation (Sub, Div).
 * - The estimator: MatMul + Add for linear models, ai.onnx.ml TreeEnsembleRegressor for boosted
 *   trees (one target per class), then Sigmoid or Softmax for classifiers.
 * - Outputs: `prediction` [N, 1]; or `label` [N] and one `probability_<class>` [N, 1] per class.
 *   Every output has N values because MLflow's pyfunc flattens each output into one DataFrame
 *   column: a single [N, K] probabilities output would not fit beside the N labels.
 */
export function exportOnnx(spec: WharfModelSpec, producerVersion: string): Uint8Array {
  const outputs = outputNamesOf(spec)
  for (const c of spec.columns) {
    if (outputs.includes(c.name) || c.name.startsWith('wharf/')) throw new Error(`column name '${c.name}' clashes with a model output name; rename the column`)
  }
  const g = new GraphBuilder()
  const features = buildFeatures(g, spec)
  const scores = spec.estimator.kind === 'linear' ? linearScores(g, spec, features) : treeScores(g, spec, features)
  if (spec.classes === undefined) {
    g.node('Identity', [scores], {}, { outputs: ['prediction'] })
    g.output('prediction', DataType.DOUBLE, ['N', 1])
  } else {
    const probabilities = classProbabilities(g, spec, scores)
    const index = g.node('ArgMax', [probabilities], { axis: { i: 1 }, keepdims: { i: 0 } })[0]!
    const numeric = spec.classes.every((c) => typeof c === 'number' && Number.isInteger(c))
    const classes = numeric
      ? g.int64s(spec.classes as number[], [spec.classes.length], 'classes')
      : g.strings(spec.classes.map(String), [spec.classes.length], 'classes')
    g.node('Gather', [classes, index], { axis: { i: 0 } }, { outputs: ['label'] })
    g.output('label', numeric ? DataType.INT64 : DataType.STRING, ['N'])
    const names = outputNamesOf(spec).slice(1)
    g.node('Split', [probabilities], { axis: { i: 1 } }, { outputs: names })
    for (const name of names) g.output(name, DataType.DOUBLE, ['N', 1])
  }
  return g.encode({ producerVersion, docString: `Wharf ${spec.algorithm} model`, metadata: { 'wharf.algorithm': spec.algorithm } })
}

/** The [N, F] double feature matrix from the raw column inputs. */
function buildFeatures(g: GraphBuilder, spec: WharfModelSpec): string {
  const column = g.int64s([-1, 1], [2], 'shape_n1')
  const blocks: string[] = []
  const impute: number[] = []
  const center: number[] = []
  const scale: number[] = []
  for (const c of spec.columns) {
    if (c.kind === 'numeric') {
      g.input(c.name, DataType.DOUBLE)
      blocks.push(g.node('Reshape', [c.name, column])[0]!)
      impute.push(c.impute ?? Number.NaN)
      center.push(c.center)
      scale.push(c.scale)
    } else {
      g.input(c.name, DataType.STRING)
      const k = c.categories.length
      const reshaped = g.node('Reshape', [c.name, column])[0]!
      const onehot = g.node('OneHotEncoder', [reshaped], { cats_strings: { strings: c.categories }, zeros: { i: 1 } }, { domain: 'ai.onnx.ml' })[0]!
      const flat = g.node('Reshape', [onehot, g.int64s([-1, k], [2], 'shape_nk')])[0]!
      blocks.push(g.node('Cast', [flat], { to: { i: DataType.DOUBLE } })[0]!)
      for (let i = 0; i < k; i++) {
        impute.push(Number.NaN)
        center.push(0)
        scale.push(1)
      }
    }
  }
  let x = blocks.length === 1 ? blocks[0]! : g.node('Concat', blocks, { axis: { i: 1 } })[0]!
  const f = featureCountOf(spec.columns)
  if (impute.some((v) => !Number.isNaN(v))) {
    x = g.node('Where', [g.node('IsNaN', [x])[0]!, g.doubles(impute, [f], 'impute'), x])[0]!
  }
  if (center.some((v) => v !== 0) || scale.some((v) => v !== 1)) {
    x = g.node('Sub', [x, g.doubles(center, [f], 'center')])[0]!
    x = g.node('Div', [x, g.doubles(scale, [f], 'scale')])[0]!
  }
  return x
}

function linearScores(g: GraphBuilder, spec: WharfModelSpec, x: string): string {
  if (spec.estimator.kind !== 'linear') throw new Error('not a linear model')
  const f = featureCountOf(spec.columns)
  const k = spec.outputs
  // coef is outputs × features (row-major); MatMul wants features × outputs.
  const weights = new Array<number>(f * k)
  for (let o = 0; o < k; o++) for (let j = 0; j < f; j++) weights[j * k + o] = spec.estimator.coef[o * f + j]!
  const product = g.node('MatMul', [x, g.doubles(weights, [f, k], 'coef')])[0]!
  return g.node('Add', [product, g.doubles([...spec.estimator.intercept], [k], 'intercept')])[0]!
}

function treeScores(g: GraphBuilder, spec: WharfModelSpec, x: string): string {
  if (spec.estimator.kind !== 'trees') throw new Error('not a tree model')
  const k = spec.outputs
  const a = {
    treeIds: [] as number[],
    nodeIds: [] as number[],
    featureIds: [] as number[],
    modes: [] as string[],
    values: [] as number[],
    trueIds: [] as number[],
    falseIds: [] as number[],
    missingTrue: [] as number[],
    targetTree: [] as number[],
    targetNode: [] as number[],
    targetId: [] as number[],
    weights: [] as number[],
  }
  spec.estimator.trees.forEach((tree: Tree, t: number) => {
    for (let node = 0; node < tree.feature.length; node++) {
      const leaf = tree.left[node]! < 0
      a.treeIds.push(t)
      a.nodeIds.push(node)
      a.featureIds.push(leaf ? 0 : tree.feature[node]!)
      a.modes.push(leaf ? 'LEAF' : 'BRANCH_LEQ')
      a.values.push(leaf ? 0 : tree.threshold[node]!)
      a.trueIds.push(leaf ? 0 : tree.left[node]!)
      a.falseIds.push(leaf ? 0 : tree.right[node]!)
      a.missingTrue.push(!leaf && tree.missingLeft[node] ? 1 : 0)
      if (leaf) {
        a.targetTree.push(t)
        a.targetNode.push(node)
        a.targetId.push(t % k)
        a.weights.push(tree.value[node]!)
      }
    }
  })
  const raw = g.node(
    'TreeEnsembleRegressor',
    [x],
    {
      n_targets: { i: k },
      aggregate_function: { s: 'SUM' },
      post_transform: { s: 'NONE' },
      base_values: { floats: new Array<number>(k).fill(0) },
      nodes_treeids: { ints: a.treeIds },
      nodes_nodeids: { ints: a.nodeIds },
      nodes_featureids: { ints: a.featureIds },
      nodes_modes: { strings: a.modes },
      nodes_values: { floats: a.values },
      nodes_truenodeids: { ints: a.trueIds },
      nodes_falsenodeids: { ints: a.falseIds },
      nodes_missing_value_tracks_true: { ints: a.missingTrue },
      target_treeids: { ints: a.targetTree },
      target_nodeids: { ints: a.targetNode },
      target_ids: { ints: a.targetId },
      target_weights: { floats: a.weights },
    },
    { domain: 'ai.onnx.ml' },
  )[0]!
  const asDouble = g.node('Cast', [raw], { to: { i: DataType.DOUBLE } })[0]!
  // The baseline is added in double precision: base_values would round it to float32.
  return g.node('Add', [asDouble, g.doubles([...spec.estimator.baseline], [k], 'baseline')])[0]!
}

/** [N, K] class probabilities from the scores. */
function classProbabilities(g: GraphBuilder, spec: WharfModelSpec, scores: string): string {
  if (spec.link === 'softmax') return g.node('Softmax', [scores], { axis: { i: 1 } })[0]!
  const p1 = g.node('Sigmoid', [scores])[0]!
  const p0 = g.node('Sub', [g.doubles([1], [1], 'one'), p1])[0]!
  return g.node('Concat', [p0, p1], { axis: { i: 1 } })[0]!
}
